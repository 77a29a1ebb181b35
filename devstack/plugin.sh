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

# devstack/plugin.sh: Hurtle's devstack plugin.
#
# Enabled in local.conf with
#
#     enable_plugin heat https://opendev.org/openstack/heat
#     enable_plugin hurtle <git url of Hurtle>
#
# (after Heat's: Hurtle's post-config phase edits heat.conf before Heat
# starts). devstack sources this file with the mode and phase as
# arguments (`stack install|post-config|extra|test-config`, `unstack`,
# `clean`); the settings come from devstack/settings.
#
# Phases:
#   stack install      setup_develop $HURTLE_DIR
#   stack post-config  /etc/hurtle (hurtle.conf from hurtle.conf.sample,
#                      api-paste.ini), the state directory, the database,
#                      Keystone mode ([DEFAULT] auth_strategy = keystone,
#                      [keystone_authtoken], [service_credentials]), the
#                      hurtle service user, the catalog entries, and Heat's
#                      plugin_dirs (+ [sdc] when SDC_URL is set)
#   stack extra        run_process hurtle-cc, then hurtle-sm
#   stack test-config  tempest: service_available hurtle = True
#   unstack            stop_process hurtle-sm, hurtle-cc
#   clean              remove the state, the configuration and the database

# Save trace setting
_XTRACE_HURTLE=$(set +o | grep xtrace)
set +o xtrace

# Heat's own default plugin_dirs (heat/common/config.py): kept when heat.conf
# sets none, so that plugins installed there still load.
HURTLE_HEAT_DEFAULT_PLUGIN_DIRS=/usr/lib64/heat,/usr/lib/heat
HURTLE_HEAT_DEFAULT_PLUGIN_DIRS+=,/usr/local/lib/heat,/usr/local/lib64/heat

HURTLE_BIN_DIR=$(get_python_exec_prefix)


# Functions
# ---------

# hurtle_sm_url: root URL of the SM API.
function hurtle_sm_url {
    echo "$HURTLE_SERVICE_PROTOCOL://$HURTLE_SERVICE_HOST:$HURTLE_SM_PORT/"
}

# hurtle_cc_url: root URL of the CC app API.
function hurtle_cc_url {
    echo "$HURTLE_SERVICE_PROTOCOL://$HURTLE_SERVICE_HOST:$HURTLE_CC_PORT/"
}

# _hurtle_manifest_services: print "<service_type> <term>" for each
# manifest of HURTLE_MANIFESTS (comma-separated); fails on a manifest that
# cannot be read.
function _hurtle_manifest_services {
    local manifest
    for manifest in ${HURTLE_MANIFESTS//,/ }; do
        $PYTHON -c '
import json, sys
try:
    with open(sys.argv[1]) as handle:
        service_type = json.load(handle)["service_type"]
except (OSError, ValueError, KeyError, TypeError) as exc:
    sys.exit("cannot read the manifest %s: %r" % (sys.argv[1], exc))
print(service_type, service_type.rpartition("#")[2])
' "$manifest" || return 1
    done
}

# install_hurtle: install Hurtle from $HURTLE_DIR (develop mode), into the
# Python environment heat-engine uses too (it loads the client plugins of
# hurtle.heat_plugins and their libraries through entry points).
function install_hurtle {
    setup_develop $HURTLE_DIR
}

# configure_hurtle: write $HURTLE_CONF_DIR/{hurtle.conf,api-paste.ini}.
function configure_hurtle {
    sudo install -d -o $STACK_USER -m 755 $HURTLE_CONF_DIR
    sudo install -d -o $STACK_USER -m 750 $HURTLE_STATE_PATH

    cp $HURTLE_DIR/etc/hurtle/hurtle.conf.sample $HURTLE_CONF
    cp $HURTLE_DIR/hurtle/wsgi/api-paste.ini $HURTLE_CONF_DIR/api-paste.ini

    iniset $HURTLE_CONF DEFAULT debug $ENABLE_DEBUG_LOG_LEVEL
    iniset $HURTLE_CONF DEFAULT state_path $HURTLE_STATE_PATH
    setup_logging $HURTLE_CONF

    iniset $HURTLE_CONF sm host $HURTLE_LISTEN_ADDRESS
    iniset $HURTLE_CONF sm port $HURTLE_SM_PORT
    iniset $HURTLE_CONF sm manifests "$HURTLE_MANIFESTS"
    iniset $HURTLE_CONF sm cc_url "$(hurtle_cc_url)"
    iniset $HURTLE_CONF sm region $REGION_NAME
    iniset $HURTLE_CONF sm service_project $SERVICE_PROJECT_NAME
    iniset $HURTLE_CONF cc host $HURTLE_LISTEN_ADDRESS
    iniset $HURTLE_CONF cc port $HURTLE_CC_PORT
    # [deployer] heat_url stays unset: with Keystone the deployer finds
    # Heat in the service catalog ("orchestration").

    if is_service_enabled mysql postgresql; then
        iniset $HURTLE_CONF database connection \
            "$(database_connection_url hurtle)"
    fi

    if is_service_enabled key keystone; then
        iniset $HURTLE_CONF DEFAULT auth_strategy keystone
        configure_keystone_authtoken_middleware $HURTLE_CONF \
            $HURTLE_SERVICE_USER
        _hurtle_configure_service_credentials
    else
        iniset $HURTLE_CONF DEFAULT auth_strategy noauth
    fi
}

# _hurtle_configure_service_credentials: keystoneauth1 password options
# of the hurtle service user (SM -> CC tokens, the CC's Heat deployer).
function _hurtle_configure_service_credentials {
    local section=service_credentials
    iniset $HURTLE_CONF $section auth_type password
    iniset $HURTLE_CONF $section auth_url $KEYSTONE_SERVICE_URI
    iniset $HURTLE_CONF $section username $HURTLE_SERVICE_USER
    iniset $HURTLE_CONF $section password $SERVICE_PASSWORD
    iniset $HURTLE_CONF $section user_domain_name $SERVICE_DOMAIN_NAME
    iniset $HURTLE_CONF $section project_name $SERVICE_PROJECT_NAME
    iniset $HURTLE_CONF $section project_domain_name $SERVICE_DOMAIN_NAME
    if is_service_enabled tls-proxy; then
        iniset $HURTLE_CONF $section cafile $SSL_BUNDLE_FILE
    fi
}

# init_hurtle: (re)create the database; hurtle-sm and hurtle-cc bring its
# schema up to date (Alembic) when they start.
function init_hurtle {
    if is_service_enabled mysql postgresql; then
        recreate_database hurtle
    fi
}

# create_hurtle_accounts: the service user and the catalog entries.
#
#   service name      type                     endpoint
#   hurtle-cc         cloud-controller         http://host:8887/
#   hurtle-sm         service-manager          http://host:8888/
#   hurtle-<term>     <manifest service_type>  http://host:8888/<term>/
#
# The last one, per manifest, is what Hurtle::Service::Instance resolves
# its service_type property with (the 2016 Hurtle registered SMs the same
# way).
function create_hurtle_accounts {
    local services service_type term
    services=$(_hurtle_manifest_services) || \
        die $LINENO "HURTLE_MANIFESTS: a manifest cannot be read"

    create_service_user $HURTLE_SERVICE_USER $HURTLE_SERVICE_ROLE

    get_or_create_service hurtle-cc cloud-controller \
        "Hurtle Cloud Controller (OCCI app API)"
    get_or_create_endpoint hurtle-cc "$REGION_NAME" "$(hurtle_cc_url)"

    get_or_create_service hurtle-sm service-manager \
        "Hurtle Service Manager (OCCI)"
    get_or_create_endpoint hurtle-sm "$REGION_NAME" "$(hurtle_sm_url)"

    while read -r service_type term; do
        get_or_create_service "hurtle-$term" "$service_type" \
            "Hurtle service $term"
        get_or_create_endpoint "hurtle-$term" "$REGION_NAME" \
            "$(hurtle_sm_url)$term/"
    done <<< "$services"
}

# configure_heat_for_hurtle: let heat-engine load Hurtle's resource
# plugins (appended to plugin_dirs) and, if SDC_URL is set, reach CloudAPI.
function configure_heat_for_hurtle {
    local heat_conf=${HEAT_CONF:-/etc/heat/heat.conf}
    local dirs
    dirs=$(iniget $heat_conf DEFAULT plugin_dirs)
    if [[ -z "$dirs" ]]; then
        dirs=$HURTLE_HEAT_DEFAULT_PLUGIN_DIRS
    fi
    # Hurtle's resources were in hurtle/heat_plugins before they moved to
    # hurtle/heat_plugins/resources: an old entry would make Heat load
    # them twice, so it goes.
    local old_dir=$HURTLE_DIR/hurtle/heat_plugins
    dirs=$(echo ",$dirs," | sed -e "s|,$old_dir,|,|g" -e 's|^,||' -e 's|,$||')
    if [[ ",$dirs," != *",$HURTLE_HEAT_PLUGIN_DIR,"* ]]; then
        dirs="$dirs,$HURTLE_HEAT_PLUGIN_DIR"
    fi
    iniset $heat_conf DEFAULT plugin_dirs "$dirs"

    if [[ -n "$SDC_URL" ]]; then
        iniset $heat_conf sdc url $SDC_URL
        iniset $heat_conf sdc account $SDC_ACCOUNT
        iniset $heat_conf sdc key_file $SDC_KEY_FILE
        if [[ -n "$SDC_KEY_ID" ]]; then
            iniset $heat_conf sdc key_id $SDC_KEY_ID
        fi
        if [[ -n "$SDC_INSECURE" ]]; then
            iniset $heat_conf sdc insecure $SDC_INSECURE
        fi
        if [[ -n "$SDC_CA_FILE" ]]; then
            iniset $heat_conf sdc ca_file $SDC_CA_FILE
        fi
    fi
}

# start_hurtle: the CC first (the SM calls it), then the SM.
function start_hurtle {
    local args="--config-file $HURTLE_CONF"
    run_process hurtle-cc "$HURTLE_BIN_DIR/hurtle-cc $args"
    run_process hurtle-sm "$HURTLE_BIN_DIR/hurtle-sm $args"
    if is_service_enabled hurtle-cc; then
        wait_for_service $SERVICE_TIMEOUT "$(hurtle_cc_url)-/" || \
            die $LINENO "hurtle-cc did not start"
    fi
    if is_service_enabled hurtle-sm; then
        wait_for_service $SERVICE_TIMEOUT "$(hurtle_sm_url)-/" || \
            die $LINENO "hurtle-sm did not start"
    fi
}

# stop_hurtle: the SM first, then the CC (which stops its SOs).
function stop_hurtle {
    stop_process hurtle-sm
    stop_process hurtle-cc
}

# cleanup_hurtle: remove what stack created.
function cleanup_hurtle {
    sudo rm -rf $HURTLE_STATE_PATH $HURTLE_CONF_DIR
}

# configure_tempest_for_hurtle: tell tempest plugins Hurtle is there.
function configure_tempest_for_hurtle {
    if is_service_enabled tempest; then
        iniset $TEMPEST_CONFIG service_available hurtle True
    fi
}


# Dispatch
# --------

if is_service_enabled hurtle-cc hurtle-sm; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Hurtle"
        install_hurtle
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Hurtle"
        configure_hurtle
        init_hurtle
        if is_service_enabled key keystone; then
            create_hurtle_accounts
        fi
        if is_service_enabled h-eng heat; then
            configure_heat_for_hurtle
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting Hurtle"
        start_hurtle
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        configure_tempest_for_hurtle
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_hurtle
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_hurtle
    fi
fi

# Restore xtrace
$_XTRACE_HURTLE
