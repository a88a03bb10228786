#!/usr/bin/env bash
# Option parsing for the pipeline scripts. The options of a script are the `name=default  # help`
# lines between its `# --- options ---` and `# --- end options ---` markers, so each option is
# described exactly once. `--name value` and `--name=value` set the variable `name` (dashes in a
# name become underscores); `--help` prints every option with its default and description.

# parse_options <script> "$@": every argument must be an option of <script>.
# parse_options --partial <script> "$@": options of <script> are set, the others are left, in
# order, in the array remaining_args (run.sh passes them on to st.sh).
parse_options() {
    local partial=false
    if [ "$1" = --partial ]; then partial=true; shift; fi
    local script=$1
    shift
    remaining_args=()
    local known
    known=$(sed -n '/^# --- options ---$/,/^# --- end options ---$/p' "${script}" \
        | grep -oE '^[a-zA-Z_][a-zA-Z0-9_]*=' | tr -d '=')
    while [ $# -gt 0 ]; do
        local arg=$1 name value
        case ${arg} in
            --help | -h)
                echo "Usage: $(basename "${script}") [--option value ...]"
                echo "Options of $(basename "${script}") (default, description):"
                sed -n '/^# --- options ---$/,/^# --- end options ---$/p' "${script}" \
                    | grep -E '^[a-zA-Z_]' | sed -E 's/^([a-zA-Z0-9_]+)=(\S*)\s*#?\s*(.*)$/  --\1 (default: "\2") \3/'
                # a wrapper (run.sh) lets the script it calls list its options too
                if ${partial}; then remaining_args+=("${arg}"); shift; continue; fi
                exit 0
                ;;
            --*=*) name=${arg%%=*}; value=${arg#*=}; shift ;;
            --*)
                [ $# -ge 2 ] || { echo "$(basename "${script}"): option ${arg} needs a value" >&2; exit 2; }
                name=${arg}; value=$2; shift 2 ;;
            *)
                if ${partial}; then remaining_args+=("${arg}"); shift; continue; fi
                echo "$(basename "${script}"): unexpected argument '${arg}' (options are --name value)" >&2; exit 2 ;;
        esac
        name=${name#--}
        name=${name//-/_}
        if ! grep -qx "${name}" <<< "${known}"; then
            if ${partial}; then remaining_args+=("--${name}" "${value}"); continue; fi
            echo "$(basename "${script}"): unknown option --${name}; see --help" >&2
            exit 2
        fi
        printf -v "${name}" '%s' "${value}"
    done
}
