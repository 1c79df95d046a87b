# bash completion for slbench                                  -*- shell-script -*-
# Install: source this file, or copy it to /usr/share/bash-completion/completions/slbench.

_slbench() {
  local cur prev
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="-h --help --version -u --url -s --set -t --threads --jwt-secret --jwt-secret-file
    --insecure --ca-file --json --csv --plot --max-p99 --max-lost --max-errors --fail-saturated
    --server-pid --list --print-scenario"
  case $prev in
    --jwt-secret-file | --ca-file | --json | --csv)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --plot)
      COMPREPLY=($(compgen -f -X '!*.svg' -- "$cur") $(compgen -d -- "$cur"))
      return
      ;;
    -u | --url)
      COMPREPLY=($(compgen -W "ws://127.0.0.1:8080/ws wss://" -- "$cur"))
      return
      ;;
    -s | --set)
      COMPREPLY=($(compgen -W "rate= connections= rooms= publishers= duration= ramp=
        direct_rate= ping_rate= typing_rate= file_rate= file_size= churn= message_size=
        drain= prefix= phases.*.duration=" -- "$cur"))
      compopt -o nospace 2>/dev/null
      return
      ;;
    -t | --threads | --jwt-secret | --max-p99 | --max-lost | --max-errors | --server-pid)
      return
      ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  # A scenario: a preset name or a JSON file.
  local presets
  presets=$(slbench --list 2>/dev/null | awk '{print $1}')
  COMPREPLY=($(compgen -W "$presets" -- "$cur") $(compgen -f -X '!*.json' -- "$cur")
    $(compgen -d -- "$cur"))
}
complete -F _slbench slbench
