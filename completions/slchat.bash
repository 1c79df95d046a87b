# bash completion for slchat                                   -*- shell-script -*-
# Install: source this file, or copy it to /usr/share/bash-completion/completions/slchat.

_slchat() {
  local cur prev
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  local global="-h --help -V --version -u --user -t --token --ca -k --insecure --json
    -e --exec --key"
  local subcommands="send tail history upload download wait-for"

  # The subcommand, if one was given.
  local sub="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      send | tail | history | upload | download | wait-for)
        sub=${COMP_WORDS[i]}
        break
        ;;
    esac
  done

  case $prev in
    --ca)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    -u | --user | -t | --token | --key | -n | --lines | --since | --limit | --before | \
      --after | --timeout | --conv)
      return
      ;;
    -e | --exec)
      local cmds="/help /quit /create /join /leave /rooms /who /convs /switch /msg /history
        /search /edit /delete /react /read /status /presence /key /send /get /call /answer
        /ice /hangup /follow /unfollow /moment /feed /like /comment /live /wait /raw"
      COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
      return
      ;;
  esac

  if [[ $cur == -* ]]; then
    local opts=$global
    case $sub in
      tail) opts+=" -n --lines --since -f --follow" ;;
      history) opts+=" --limit --before --after" ;;
      wait-for) opts+=" --timeout --conv --since" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  if [[ -z $sub ]]; then
    COMPREPLY=($(compgen -W "$subcommands ws:// wss://" -- "$cur"))
    [[ $cur == ws* ]] && compopt -o nospace 2>/dev/null
    return
  fi
  # Positionals after the URL: files for upload and download.
  case $sub in
    upload | download) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _slchat slchat
