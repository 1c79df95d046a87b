#!/usr/bin/env node
// The benchmark peer: a small chat server on Node.js and the `ws` package that speaks the
// subset of PROTOCOL.md the workloads of BENCHMARKS.md use, so slbench can measure slserver
// and this peer in the same run and report the ratio.
//
//   auth (open mode), ping, room.create, room.join, msg.send to #room or @user (answered with
//   ok, then broadcast as msg with a per-conversation seq), typing, and presence as
//   PROTOCOL.md has it: `online` at a user's first session and `offline` when the last one
//   ends, to everyone who shares a room or a direct conversation with them.
//
// It keeps everything in memory and stores nothing: its ok does not wait for a disk, unlike
// slserver's. Anything else is answered with `unavailable`.
//
// Usage: node server.js [--listen HOST:PORT] [--ready-file FILE]
// Like slserver, port 0 picks a free port and the ready file receives ws://HOST:PORT.

'use strict';

const fs = require('fs');
const http = require('http');
const { WebSocketServer } = require('ws');

function parseArgs(argv) {
  const opts = { listen: '127.0.0.1:8090', readyFile: '' };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--listen') opts.listen = argv[++i];
    else if (a === '--ready-file') opts.readyFile = argv[++i];
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node server.js [--listen HOST:PORT] [--ready-file FILE]\n');
      process.exit(0);
    } else {
      process.stderr.write(`peer: error: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  const colon = opts.listen.lastIndexOf(':');
  opts.host = opts.listen.slice(0, colon);
  opts.port = Number(opts.listen.slice(colon + 1));
  return opts;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const rooms = new Map();     // name -> { members: Set<user>, seq, owner, joinKey }
const directs = new Map();   // "@a,b" -> seq
const sessions = new Map();  // user -> Set<ws>
const userRooms = new Map();  // user -> Set<room name>
const partners = new Map();   // user -> Set<user> they share a direct conversation with
let nextSession = 1;
let nextMsg = 1;

function send(ws, obj) {
  ws.send(JSON.stringify(obj));
}

function reply(ws, id, fields) {
  if (id === undefined || id === null) return;
  send(ws, Object.assign({ type: 'ok', re: id }, fields));
}

function error(ws, id, code, message) {
  const e = { type: 'error', code, message };
  if (id !== undefined && id !== null) e.re = id;
  send(ws, e);
}

// Sends one encoded frame to every session of every user in `users` (except `skip`).
function fanOut(users, frame, skip) {
  for (const user of users) {
    const set = sessions.get(user);
    if (!set) continue;
    for (const s of set) {
      if (s !== skip && s.readyState === 1) s.send(frame);
    }
  }
}

function addTo(map, key, value) {
  if (!map.has(key)) map.set(key, new Set());
  map.get(key).add(value);
}

// Everyone who shares a room or a direct conversation with `user`.
function contacts(user) {
  const out = new Set(partners.get(user) || []);
  for (const name of userRooms.get(user) || []) {
    for (const u of rooms.get(name).members) out.add(u);
  }
  out.delete(user);
  return out;
}

function announce(user, status) {
  fanOut(contacts(user), JSON.stringify({ type: 'presence', user, status, last_seen: Date.now() }),
         null);
}

function handle(ws, text) {
  let m;
  try {
    m = JSON.parse(text);
  } catch (e) {
    return error(ws, null, 'bad_request', 'invalid JSON');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    return error(ws, null, 'bad_request', 'a frame must be a JSON object');
  }
  const id = m.id;
  if (!ws.user) {
    if (m.type !== 'auth') return error(ws, id, 'unauthenticated', 'authenticate first');
    if (typeof m.user !== 'string' || !NAME.test(m.user)) {
      return error(ws, id, 'unauthenticated', 'open mode needs a valid user');
    }
    ws.user = m.user;
    const first = !sessions.has(ws.user);
    addTo(sessions, ws.user, ws);
    if (first) announce(ws.user, 'online');
    const welcome = { type: 'welcome', user: ws.user, session: String(nextSession++),
                      server: 'peer/1.0', limits: {} };
    if (id !== undefined) welcome.re = id;
    return send(ws, welcome);
  }
  switch (m.type) {
    case 'ping': {
      const pong = { type: 'pong' };
      if (id !== undefined) pong.re = id;
      return send(ws, pong);
    }
    case 'room.create': {
      if (typeof m.room !== 'string' || !NAME.test(m.room)) {
        return error(ws, id, 'bad_request', "field 'room' is invalid");
      }
      if (rooms.has(m.room)) return error(ws, id, 'conflict', `room ${m.room} exists`);
      const joinKey = Math.random().toString(16).slice(2);
      rooms.set(m.room, { members: new Set([ws.user]), seq: 0, owner: ws.user, joinKey });
      addTo(userRooms, ws.user, m.room);
      return reply(ws, id, { room: m.room, conv: '#' + m.room, join_key: joinKey });
    }
    case 'room.join': {
      const room = rooms.get(m.room);
      if (!room) return error(ws, id, 'not_found', `no room ${m.room}`);
      if (!room.members.has(ws.user)) {
        room.members.add(ws.user);
        addTo(userRooms, ws.user, m.room);
        fanOut(room.members, JSON.stringify({ type: 'member.joined', conv: '#' + m.room,
                                              user: ws.user }), ws);
      }
      return reply(ws, id, { room: m.room, conv: '#' + m.room, members: [...room.members].sort(),
                             last_seq: room.seq });
    }
    case 'msg.send': {
      if (typeof m.text !== 'string') return error(ws, id, 'bad_request', "field 'text' is missing");
      if (typeof m.to !== 'string') return error(ws, id, 'bad_request', "field 'to' is missing");
      let conv, seq, users;
      if (m.to[0] === '#') {
        const room = rooms.get(m.to.slice(1));
        if (!room) return error(ws, id, 'not_found', `no room ${m.to.slice(1)}`);
        if (!room.members.has(ws.user)) return error(ws, id, 'forbidden', 'not a member');
        conv = m.to;
        seq = ++room.seq;
        users = room.members;
      } else if (m.to[0] === '@' && NAME.test(m.to.slice(1))) {
        const pair = [ws.user, m.to.slice(1)].sort();
        conv = '@' + pair.join(',');
        seq = (directs.get(conv) || 0) + 1;
        directs.set(conv, seq);
        users = new Set(pair);
        addTo(partners, pair[0], pair[1]);
        addTo(partners, pair[1], pair[0]);
      } else {
        return error(ws, id, 'bad_request', "field 'to' must be #room or @user");
      }
      const ts = Date.now();
      const msgId = (nextMsg++).toString(16).padStart(16, '0');
      reply(ws, id, { conv, seq, msg_id: msgId, ts });
      const event = { type: 'msg', conv, seq, msg_id: msgId, from: ws.user, text: m.text, ts };
      if (m.temp_id !== undefined) event.temp_id = m.temp_id;
      return fanOut(users, JSON.stringify(event), null);  // encoded once for everyone
    }
    case 'typing': {
      const room = typeof m.to === 'string' && m.to[0] === '#' ? rooms.get(m.to.slice(1)) : null;
      if (!room) return error(ws, id, 'not_found', 'typing: no such room');
      if (!room.members.has(ws.user)) return error(ws, id, 'forbidden', 'not a member');
      const frame = JSON.stringify({ type: 'typing', conv: m.to, user: ws.user, on: m.on !== false });
      const others = new Set(room.members);
      others.delete(ws.user);
      fanOut(others, frame, null);
      return reply(ws, id, {});
    }
    default:
      return error(ws, id, m.type === 'auth' ? 'bad_request' : 'unavailable',
                   m.type === 'auth' ? 'already authenticated' : `${m.type} is not supported by the peer`);
  }
}

function main() {
  const opts = parseArgs(process.argv);
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: 'ok' }));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found' }));
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false,
                                    maxPayload: 1 << 20, clientTracking: false });
  server.on('upgrade', (req, socket, head) => {
    const path = req.url.split('?')[0];
    if (path !== '/ws' && path !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.setNoDelay(true);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return error(ws, null, 'bad_request', 'binary frames are not supported');
        handle(ws, data.toString());
      });
      ws.on('close', () => {
        const set = ws.user && sessions.get(ws.user);
        if (set) {
          set.delete(ws);
          if (set.size === 0) {
            sessions.delete(ws.user);
            announce(ws.user, 'offline');
          }
        }
      });
      ws.on('error', () => {});
    });
  });
  server.listen(opts.port, opts.host, () => {
    const url = `ws://${opts.host}:${server.address().port}`;
    process.stderr.write(`peer: listening on ${url}\n`);
    if (opts.readyFile) {
      fs.writeFileSync(opts.readyFile + '.tmp', url + '\n');
      fs.renameSync(opts.readyFile + '.tmp', opts.readyFile);
    }
  });
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
