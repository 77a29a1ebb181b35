#!/bin/bash
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

# Stand-ins for the devstack helpers devstack/plugin.sh uses, for
# tests/unit/devstack/test_plugin.py.
#
# - The ini helpers (iniset, iniget, inicomment, ini_has_option, iniadd,
#   iniget_multiline, iniset_multiline) edit real files with the
#   semantics of devstack's inc/ini-config (see ini.awk).
#   When HURTLE_TEST_DEVSTACK_DIR names a devstack checkout, its own
#   inc/ini-config is sourced instead.
# - The service list helpers behave as devstack's.
# - The helpers that would change the system (pip, the database, Keystone,
#   systemd) record their call in $HURTLE_TEST_CALLS instead: one line per
#   call, the function name and its arguments separated by \x1f. The
#   Keystone catalog is kept in $HURTLE_TEST_CALLS.catalog, the units
#   systemd runs in $HURTLE_TEST_CALLS.running.
#
# None of them traces its body (as devstack's ini helpers): with xtrace
# on, the trace shows the plugin's own commands.

function _record {
    _untraced _append_call "$@"
}

function _append_call {
    (IFS=$'\x1f'; echo "$*") >> "$HURTLE_TEST_CALLS"
}

function die {
    local lineno=$1
    shift
    echo "[ERROR] line $lineno: $*" >&2
    exit 1
}

function echo_summary {
    echo "$@"
}

function plugin_requires {
    _record plugin_requires "$@"
}

# -- ini files ---------------------------------------------------------

_INI_AWK=$(dirname "${BASH_SOURCE[0]}")/ini.awk

# _ini command file section option [value]: run ini.awk on file.
function _ini {
    INI_CMD=$1 INI_S=$3 INI_O=$4 INI_V=${5:-} awk -f "$_INI_AWK" "$2"
}

# _ini_read command file section option: ini.awk's output; a missing
# file reads as empty, with sed's complaint.
function _ini_read {
    if [[ -e "$2" ]]; then
        _ini "$1" "$2" "$3" "$4"
    else
        echo "sed: can't read $2: No such file or directory" >&2
    fi
}

# _ini_edit command file section option [value]: rewrite file.
function _ini_edit {
    local file=$2
    if [[ ! -e "$file" ]]; then
        echo "sed: can't read $file: No such file or directory" >&2
        return 0
    fi
    # In place, as sed -i keeps the file's mode.
    _ini "$@" > "$file.ini-new"
    cat "$file.ini-new" > "$file"
    rm "$file.ini-new"
}

# _untraced command...: run command with xtrace off, as devstack's ini
# helpers do.
function _untraced {
    local xtrace status=0
    xtrace=$(set +o | grep xtrace)
    set +o xtrace
    "$@" || status=$?
    $xtrace
    return $status
}

# iniset [-sudo] file section option value (the file is created if needed)
function iniset {
    _untraced _iniset "$@"
}

function _iniset {
    [[ "$1" != "-sudo" ]] || shift
    local file=$1 section=$2 option=$3 value
    # devstack passes the value through an unquoted echo: blanks squeezed.
    value=$(set -f; echo ${4:-})
    if [[ -n "$section" && -n "$option" ]]; then
        [[ -e "$file" ]] || : > "$file"
        _ini_edit set "$file" "$section" "$option" "$value"
    fi
}

# iniget file section option: the text after the first "=" of the
# option's lines, blanks squeezed
function iniget {
    _untraced _iniget "$@"
}

function _iniget {
    local line
    line=$(_ini_read get "$@")
    (set -f; echo ${line#*=})
}

# inicomment [-sudo] file section option
function inicomment {
    [[ "$1" != "-sudo" ]] || shift
    _untraced _ini_edit comment "$1" "$2" "$3"
}

# iniget_multiline file section option: the values of the option's
# lines, joined by a blank
function iniget_multiline {
    _untraced _iniget_multiline "$@"
}

function _iniget_multiline {
    local values
    values=$(_ini_read multiget "$@")
    (set -f; echo ${values})
}

# iniset_multiline [-sudo] file section option value...: one line per
# value (the option's other lines of the section go)
function iniset_multiline {
    [[ "$1" != "-sudo" ]] || shift
    _untraced _iniset_multiline "$@"
}

function _iniset_multiline {
    local file=$1 section=$2 option=$3
    shift 3
    [[ -e "$file" ]] || : > "$file"
    _ini_edit multiset "$file" "$section" "$option" "$*"
}

# iniadd [-sudo] file section option value...: the option's values so
# far and the new ones, one line each (every blank separates values).
function iniadd {
    [[ "$1" != "-sudo" ]] || shift
    _untraced _iniadd "$@"
}

function _iniadd {
    local file=$1 section=$2 option=$3 values
    shift 3
    values="$(_iniget_multiline "$file" "$section" "$option") $*"
    local -
    set -f
    _iniset_multiline "$file" "$section" "$option" $values
}

# ini_has_option [-sudo] file section option
function ini_has_option {
    [[ "$1" != "-sudo" ]] || shift
    [[ -e "$1" ]] && _ini has "$1" "$2" "$3"
}

# -- services ------------------------------------------------------------

function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",${ENABLED_SERVICES:-}," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        if [[ ",${DISABLED_SERVICES:-}," == *",$service,"* ]]; then
            echo "WARNING: $service was disabled: not enabled" >&2
        elif ! is_service_enabled "$service"; then
            ENABLED_SERVICES="${ENABLED_SERVICES:-},$service"
        fi
    done
    ENABLED_SERVICES=${ENABLED_SERVICES#,}
}

function disable_service {
    local service list=",${ENABLED_SERVICES:-},"
    for service in "$@"; do
        list=${list//,$service,/,}
        DISABLED_SERVICES="${DISABLED_SERVICES:-},$service"
    done
    list=${list#,}
    ENABLED_SERVICES=${list%,}
    DISABLED_SERVICES=${DISABLED_SERVICES#,}
}

# -- values --------------------------------------------------------------

# trueorfalse default name: True or False for the value of variable name
# (devstack's spellings), default when it is unset or anything else.
function trueorfalse {
    local value=${!2:-}
    case "$value" in
        1|yes|Yes|YES|true|True|TRUE) echo True ;;
        0|no|No|NO|false|False|FALSE) echo False ;;
        *) echo "$1" ;;
    esac
}

# get_transport_url [vhost]: devstack's RabbitMQ URL (lib/rpc_backend),
# when rabbit is enabled or RABBIT_HOST and RABBIT_PASSWORD are set.
function get_transport_url {
    if is_service_enabled rabbit || \
            [[ -n "${RABBIT_HOST:-}" && -n "${RABBIT_PASSWORD:-}" ]]; then
        local user=${RABBIT_USERID:-stackrabbit}
        echo "rabbit://$user:${RABBIT_PASSWORD:-}@${RABBIT_HOST:-}:5672/${1:-}"
    fi
}

# -- the system ----------------------------------------------------------

function sudo {
    "$@"
}

function get_python_exec_prefix {
    echo "$HURTLE_TEST_BIN"
}

# As devstack's: the SQLAlchemy URL of database $1.
function database_connection_url {
    local server="root:$DATABASE_PASSWORD@127.0.0.1"
    if [[ "${DATABASE_TYPE:-mysql}" == "postgresql" ]]; then
        echo "postgresql://$server/$1?client_encoding=utf8"
    else
        echo "mysql+pymysql://$server/$1?charset=utf8"
    fi
}

function recreate_database {
    _record recreate_database "$@"
}

# The database clients: HURTLE_TEST_DB_DOWN makes the server not answer.
function mysql {
    _record mysql "$@"
    [[ -z "${HURTLE_TEST_DB_DOWN:-}" ]]
}

function psql {
    _record psql "$@"
    [[ -z "${HURTLE_TEST_DB_DOWN:-}" ]]
}

function setup_develop {
    _record setup_develop "$@"
}

function pip_install {
    _record pip_install "$@"
}

function setup_logging {
    _record setup_logging "$@"
}

# -- Keystone (the catalog in $HURTLE_TEST_CALLS.catalog) ---------------

# As devstack's lib/keystone: the auth_token options of user $2 in
# section $3 (default keystone_authtoken) of file $1.
function configure_keystone_authtoken_middleware {
    _record configure_keystone_authtoken_middleware "$@"
    local conf=$1 user=$2 section=${3:-keystone_authtoken}
    iniset "$conf" "$section" auth_type password
    iniset "$conf" "$section" interface public
    iniset "$conf" "$section" auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$conf" "$section" username "$user"
    iniset "$conf" "$section" password "$SERVICE_PASSWORD"
    iniset "$conf" "$section" user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" "$section" project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf" "$section" project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" "$section" www_authenticate_uri "$KEYSTONE_SERVICE_URI"
}

function create_service_user {
    _record create_service_user "$@"
}

# _catalog_find fields...: the first catalog line starting with them.
function _catalog_find {
    local IFS=$'\x1f'
    local prefix="$*"$'\x1f'
    local line
    [[ -e "$HURTLE_TEST_CALLS.catalog" ]] || return 1
    while read -r line; do
        if [[ "$line" == "$prefix"* ]]; then
            echo "$line"
            return 0
        fi
    done < "$HURTLE_TEST_CALLS.catalog"
    return 1
}

function _catalog_add {
    local IFS=$'\x1f'
    echo "$*" >> "$HURTLE_TEST_CALLS.catalog"
}

# As devstack's: the service of type $2 (created with name $1 if none).
function get_or_create_service {
    _record get_or_create_service "$@"
    if ! _catalog_find service "$2" > /dev/null; then
        _catalog_add service "$2" "$1" "$3"
    fi
    echo "id-of-$2"
}

# As devstack's: the public endpoint of service $1 in region $2 (created
# with URL $3 if none).
function get_or_create_endpoint {
    _record get_or_create_endpoint "$@"
    if ! _catalog_find endpoint "$1" public "$2" > /dev/null; then
        _catalog_add endpoint "$1" public "$2" "$3"
    fi
    echo "endpoint-of-$1"
}

# -- processes (the running units in $HURTLE_TEST_CALLS.running) --------

# As devstack's lib/apache: a uwsgi ini file for module $2 serving HTTP
# on $4 (or a socket behind Apache at URL $3).
function write_uwsgi_config {
    _record write_uwsgi_config "$@"
    local conf=$1 wsgi=$2 http=${4:-}
    rm -rf "$conf"
    if [[ "$wsgi" =~ ^[a-zA-Z0-9_.]+:[a-zA-Z0-9_]+$ ]]; then
        iniset "$conf" uwsgi module "$wsgi"
    else
        iniset "$conf" uwsgi wsgi-file "$wsgi"
    fi
    iniset "$conf" uwsgi processes "$API_WORKERS"
    iniset "$conf" uwsgi master true
    iniset "$conf" uwsgi enable-threads true
    iniset "$conf" uwsgi lazy-apps true
    if [[ -n "$http" ]]; then
        iniset "$conf" uwsgi http "$http"
    else
        local name=${5:-$(basename $wsgi)}
        iniset "$conf" uwsgi socket "/var/run/uwsgi/$name.socket"
    fi
}

function _running {
    _untraced _running_units "$@"
}

# _running_units add|remove|check unit
function _running_units {
    local action=$1 unit=$2 file=$HURTLE_TEST_CALLS.running
    touch "$file"
    case $action in
        add)
            grep -qxF "$unit" "$file" || echo "$unit" >> "$file"
            ;;
        remove)
            grep -vxF "$unit" "$file" > "$file.new" || true
            mv "$file.new" "$file"
            ;;
        check)
            grep -qxF "$unit" "$file"
            ;;
    esac
}

# As devstack's: runs (here: marks running) only an enabled service.
function run_process {
    _record run_process "$@"
    if is_service_enabled "$1"; then
        _running add "devstack@$1.service"
    fi
}

function stop_process {
    _record stop_process "$@"
    _running remove "devstack@$1.service"
}

SYSTEMCTL=systemctl

function systemctl {
    _record systemctl "$@"
    local unit=${!#}
    case $1 in
        is-active) _running check "$unit" ;;
        restart|start) _running add "$unit" ;;
        stop) _running remove "$unit" ;;
    esac
}

function wait_for_service {
    _record wait_for_service "$@"
}

if [[ -n "${HURTLE_TEST_DEVSTACK_DIR:-}" ]]; then
    source "$HURTLE_TEST_DEVSTACK_DIR/inc/ini-config"
fi
