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
# tests/unit/devstack/test_plugin.py. iniset/iniget edit real ini files;
# the helpers that would talk to Keystone, the database, pip or
# systemd record their call in $HURTLE_TEST_CALLS instead: one line per
# call, the function name and its arguments separated by \x1f.

function _record {
    local IFS=$'\x1f'
    echo "$*" >> "$HURTLE_TEST_CALLS"
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

# devstack's ini editing, in awk (no crudini): see ini.awk.
_INI_AWK=$(dirname "${BASH_SOURCE[0]}")/ini.awk

# devstack: iniset [-sudo] config-file section option value
function iniset {
    if [[ "$1" == "-sudo" ]]; then
        shift
    fi
    _record iniset "$@"
    local file=$1
    [[ -e "$file" ]] || : > "$file"
    INI_CMD=set INI_S=$2 INI_O=$3 INI_V=$4 \
        awk -f "$_INI_AWK" "$file" > "$file.new"
    mv "$file.new" "$file"
}

# devstack: iniget config-file section option
function iniget {
    [[ -e "$1" ]] || return 0
    INI_CMD=get INI_S=$2 INI_O=$3 awk -f "$_INI_AWK" "$1"
}

function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES+=",$service"
        fi
    done
    ENABLED_SERVICES=${ENABLED_SERVICES#,}
}

function sudo {
    "$@"
}

function get_python_exec_prefix {
    echo "$HURTLE_TEST_BIN"
}

# As devstack's: the SQLAlchemy URL of database $1.
function database_connection_url {
    echo "mysql+pymysql://root:$DATABASE_PASSWORD@127.0.0.1/$1?charset=utf8"
}

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

function get_or_create_service {
    _record get_or_create_service "$@"
    echo "id-of-$1"
}

function get_or_create_endpoint {
    _record get_or_create_endpoint "$@"
    echo "endpoint-of-$1"
}

function create_service_user {
    _record create_service_user "$@"
}

function setup_develop {
    _record setup_develop "$@"
}

function setup_logging {
    _record setup_logging "$@"
}

function recreate_database {
    _record recreate_database "$@"
}

function run_process {
    _record run_process "$@"
}

function stop_process {
    _record stop_process "$@"
}

function wait_for_service {
    _record wait_for_service "$@"
}
