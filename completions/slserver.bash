# bash completion for slserver                                 -*- shell-script -*-
# Install: source this file, or copy it to /usr/share/bash-completion/completions/slserver.

_slserver() {
  local cur prev
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="-h --help --version --config --listen --data --auth --jwt-secret --jwt-secret-file
    --jwt-public-key --jwt-leeway --jwt-allow-no-exp --tls-cert --tls-key --tls-only --ready-file --log-level --sync
    --commit-interval --coalesce --wal-restart --max-frame --max-text --auth-timeout --idle-timeout
    --allowed-origins --admin-key --admin-key-file --max-file --file-types --file-ttl --live-grace --ring-timeout --rate
    --rate-burst --max-connections --max-sessions-per-user --max-send-queue --max-depth
    --handshake-timeout"
  case $prev in
    --config | --jwt-secret-file | --jwt-public-key | --tls-cert | --tls-key | --ready-file | \
      --admin-key-file)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --data)
      COMPREPLY=($(compgen -d -- "$cur"))
      return
      ;;
    --auth)
      COMPREPLY=($(compgen -W "none jwt" -- "$cur"))
      return
      ;;
    --log-level)
      COMPREPLY=($(compgen -W "debug info warn error" -- "$cur"))
      return
      ;;
    --sync)
      COMPREPLY=($(compgen -W "full normal off" -- "$cur"))
      return
      ;;
    --listen)
      COMPREPLY=($(compgen -W "127.0.0.1:8080 0.0.0.0:8080 127.0.0.1:0" -- "$cur"))
      return
      ;;
    --jwt-secret | --jwt-leeway | --commit-interval | --coalesce | --wal-restart | --max-frame | --max-text | --auth-timeout | \
      --idle-timeout | --allowed-origins | --admin-key | --max-file | --file-types | --file-ttl | \
      --live-grace | --ring-timeout | --rate | --rate-burst | --max-connections | --max-sessions-per-user | \
      --max-send-queue | --max-depth | --handshake-timeout | --user | --ttl)
      return
      ;;
  esac
  local word
  for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    if [[ $word == token ]]; then
      COMPREPLY=($(compgen -W "-h --help --user --ttl --jwt-secret --jwt-secret-file" -- "$cur"))
      return
    fi
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "token" -- "$cur"))
  fi
}
complete -F _slserver slserver
