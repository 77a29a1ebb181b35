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
# Enabled in local.conf, after Heat's plugin, with
#
#     enable_plugin heat https://opendev.org/openstack/heat
#     enable_plugin hurtle <git url of Hurtle> [branch]
#
# devstack sources this file with the mode and phase as arguments; the
# settings come from devstack/settings. Phases:
#
#   stack install      setup_develop $HURTLE_DIR; uwsgi if missing
#   stack post-config  $HURTLE_CONF_DIR: hurtle.conf (from the sample),
#                      api-paste.ini, policy.yaml, the uwsgi files of
#                      hurtle-sm and hurtle-cc; the database (recreated,
#                      hurtle-manage db_sync); with Keystone: the hurtle
#                      service user and the catalog entries of the
#                      enabled services
#   stack extra        heat.conf: Hurtle's plugin directory appended to
#                      [DEFAULT] plugin_dirs, [sdc] when SDC_* are given,
#                      with rabbit: messagingv2 notifications, which the
#                      CC listens to ([heat_notifications] in hurtle.conf),
#                      heat-engine restarted if running and heat.conf
#                      changed; then run_process hurtle-cc, hurtle-sm
#                      (uwsgi) and wait until they answer
#   stack test-config  tempest: [service_available] hurtle = True
#   unstack            stop_process hurtle-sm, hurtle-cc
#   clean              drop the hurtle database (if its server still
#                      answers), remove $HURTLE_CONF_DIR and
#                      $HURTLE_STATE_PATH (state, SQLite file, SO logs)
#
# heat.conf is edited in `stack extra`, not `post-config`: Heat's own
# post-config deletes and rewrites it, and every plugin's post-config
# runs before any plugin's extra.

# Heat's own default plugin_dirs (heat/common/config.py): kept when heat.conf
# sets none, so that plugins installed there still load.
HURTLE_HEAT_DEFAULT_PLUGIN_DIRS=/usr/lib64/heat,/usr/lib/heat
HURTLE_HEAT_DEFAULT_PLUGIN_DIRS+=,/usr/local/lib/heat,/usr/local/lib64/heat
# The systemd unit devstack runs heat-engine (service h-eng) under.
HURTLE_HEAT_ENGINE_UNIT=devstack@h-eng.service

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

# _hurtle_check_heat_order: stop when Heat's plugin is enabled after
# Hurtle's (devstack runs the plugins of a phase in local.conf's order).
function _hurtle_check_heat_order {
    local plugins=",${DEVSTACK_PLUGINS:-},"
    if [[ "$plugins" != *",heat,"* || "$plugins" != *",hurtle,"* ]]; then
        return 0
    fi
    if [[ "${plugins%%,hurtle,*}," != *",heat,"* ]]; then
        die $LINENO "Hurtle's devstack plugin must be enabled after" \
            "Heat's: in local.conf put 'enable_plugin heat ...' before" \
            "'enable_plugin hurtle ...' (plugins in the order enabled:" \
            "${DEVSTACK_PLUGINS})"
    fi
}

# _hurtle_check_sdc_settings: the SDC_* settings are all or nothing.
function _hurtle_check_sdc_settings {
    local given="$SDC_URL$SDC_ACCOUNT$SDC_KEY_FILE$SDC_KEY_ID"
    given+="$SDC_INSECURE$SDC_CA_FILE"
    if [[ -z "$given" ]]; then
        return 0
    fi
    local name missing=""
    for name in SDC_URL SDC_ACCOUNT SDC_KEY_FILE; do
        if [[ -z "${!name}" ]]; then
            missing+=" $name"
        fi
    done
    if [[ -n "$missing" ]]; then
        die $LINENO "Joyent SDC settings are incomplete: missing$missing" \
            "(heat.conf [sdc] needs SDC_URL, SDC_ACCOUNT and SDC_KEY_FILE;" \
            "set none of the SDC_* variables to leave SDC out)"
    fi
}

# _hurtle_manifest_services: print "<service_type> <term>" for each
# manifest of HURTLE_MANIFESTS (comma-separated); fails on a manifest that
# cannot be read.
function _hurtle_manifest_services {
    local xtrace
    xtrace=$(set +o | grep xtrace)
    set +o xtrace
    local manifest status=0
    for manifest in ${HURTLE_MANIFESTS//,/ }; do
        $PYTHON -c '
import json, sys
try:
    with open(sys.argv[1]) as handle:
        service_type = json.load(handle)["service_type"]
except (OSError, ValueError, KeyError, TypeError) as exc:
    sys.exit("cannot read the manifest %s: %r" % (sys.argv[1], exc))
print(service_type, service_type.rpartition("#")[2])
' "$manifest" || status=1
        if [[ $status -ne 0 ]]; then
            break
        fi
    done
    $xtrace
    return $status
}

# _hurtle_configure_secrets: the options of hurtle.conf holding a
# password ([database] connection, [keystone_authtoken],
# [service_credentials] password), written without tracing so that the
# passwords stay out of the stack.sh log.
function _hurtle_configure_secrets {
    local xtrace
    xtrace=$(set +o | grep xtrace)
    set +o xtrace
    if is_service_enabled mysql postgresql; then
        iniset $HURTLE_CONF database connection \
            "$(database_connection_url hurtle)"
    fi
    if is_service_enabled key keystone; then
        configure_keystone_authtoken_middleware $HURTLE_CONF \
            $HURTLE_SERVICE_USER
        iniset $HURTLE_CONF service_credentials password $SERVICE_PASSWORD
    fi
    $xtrace
}

# install_hurtle: install Hurtle from $HURTLE_DIR (develop mode), into the
# Python environment heat-engine uses too (it loads the client plugins of
# hurtle.heat_plugins and their libraries through entry points), and
# uwsgi there unless devstack installed it already.
function install_hurtle {
    setup_develop $HURTLE_DIR
    if [[ ! -x $HURTLE_BIN_DIR/uwsgi ]]; then
        pip_install uwsgi
    fi
}

# configure_hurtle: write $HURTLE_CONF_DIR (hurtle.conf, api-paste.ini,
# policy.yaml, the uwsgi files).
function configure_hurtle {
    sudo install -d -o $STACK_USER -m 755 $HURTLE_CONF_DIR
    sudo install -d -o $STACK_USER -m 750 $HURTLE_STATE_PATH

    # hurtle.conf gets passwords: readable by the services' user only.
    install -m 600 $HURTLE_DIR/etc/hurtle/hurtle.conf.sample $HURTLE_CONF
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

    _hurtle_configure_secrets
    _hurtle_configure_policy

    if is_service_enabled key keystone; then
        iniset $HURTLE_CONF DEFAULT auth_strategy keystone
        _hurtle_configure_service_credentials
    else
        iniset $HURTLE_CONF DEFAULT auth_strategy noauth
    fi

    _hurtle_configure_uwsgi hurtle-sm hurtle.wsgi.sm:application \
        $HURTLE_SM_UWSGI_CONF $HURTLE_SM_PORT
    _hurtle_configure_uwsgi hurtle-cc hurtle.wsgi.cc:application \
        $HURTLE_CC_UWSGI_CONF $HURTLE_CC_PORT
    # The CC's SOs are children of its serving process: one process.
    if is_service_enabled hurtle-cc; then
        iniset $HURTLE_CC_UWSGI_CONF uwsgi processes 1
    fi
}

# _hurtle_configure_policy: policy.yaml with every default rule commented
# out (oslopolicy-sample-generator); an operator's existing file is kept.
function _hurtle_configure_policy {
    $HURTLE_BIN_DIR/oslopolicy-sample-generator --namespace hurtle \
        --output-file $HURTLE_POLICY_FILE.sample
    if [[ ! -e $HURTLE_POLICY_FILE ]]; then
        cp $HURTLE_POLICY_FILE.sample $HURTLE_POLICY_FILE
    fi
    iniset $HURTLE_CONF oslo_policy policy_file $HURTLE_POLICY_FILE
}

# _hurtle_configure_uwsgi service module conf port: the uwsgi file of an
# enabled service, serving HTTP on its port and reading $HURTLE_CONF.
function _hurtle_configure_uwsgi {
    local service=$1 module=$2 conf=$3 port=$4
    if ! is_service_enabled $service; then
        return 0
    fi
    write_uwsgi_config $conf $module "" "$HURTLE_LISTEN_ADDRESS:$port" \
        $service
    iniset $conf uwsgi env "HURTLE_CONFIG_FILES=$HURTLE_CONF"
}

# _hurtle_configure_service_credentials: keystoneauth1 password options
# of the hurtle service user (SM -> CC tokens, the CC's Heat deployer);
# the password: _hurtle_configure_secrets.
function _hurtle_configure_service_credentials {
    local section=service_credentials
    iniset $HURTLE_CONF $section auth_type password
    iniset $HURTLE_CONF $section auth_url $KEYSTONE_SERVICE_URI
    iniset $HURTLE_CONF $section username $HURTLE_SERVICE_USER
    iniset $HURTLE_CONF $section user_domain_name $SERVICE_DOMAIN_NAME
    iniset $HURTLE_CONF $section project_name $SERVICE_PROJECT_NAME
    iniset $HURTLE_CONF $section project_domain_name $SERVICE_DOMAIN_NAME
    if is_service_enabled tls-proxy; then
        iniset $HURTLE_CONF $section cafile $SSL_BUNDLE_FILE
    fi
}

# init_hurtle: (re)create the database and bring its schema to the newest
# revision (hurtle-manage db_sync; hurtle-sm and hurtle-cc would also do
# it when they start, but a failure is clearer here, as heat-manage's).
function init_hurtle {
    if is_service_enabled mysql postgresql; then
        recreate_database hurtle
    fi
    $HURTLE_BIN_DIR/hurtle-manage --config-file $HURTLE_CONF db_sync
}

# create_hurtle_accounts: the service user and the catalog entries of the
# enabled services (get_or_create_*: a second run creates nothing).
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
    local services="" service_type term
    if is_service_enabled hurtle-sm; then
        services=$(_hurtle_manifest_services) || \
            die $LINENO "HURTLE_MANIFESTS: a manifest cannot be read"
    fi

    create_service_user $HURTLE_SERVICE_USER $HURTLE_SERVICE_ROLE

    if is_service_enabled hurtle-cc; then
        get_or_create_service hurtle-cc cloud-controller \
            "Hurtle Cloud Controller (OCCI app API)"
        get_or_create_endpoint hurtle-cc "$REGION_NAME" "$(hurtle_cc_url)"
    fi

    if is_service_enabled hurtle-sm; then
        get_or_create_service hurtle-sm service-manager \
            "Hurtle Service Manager (OCCI)"
        get_or_create_endpoint hurtle-sm "$REGION_NAME" "$(hurtle_sm_url)"
        while read -r service_type term; do
            get_or_create_service "hurtle-$term" "$service_type" \
                "Hurtle service $term"
            get_or_create_endpoint "hurtle-$term" "$REGION_NAME" \
                "$(hurtle_sm_url)$term/"
        done <<< "$services"
    fi
}

# _hurtle_heat_plugin_dirs current: print the plugin_dirs value with
# Hurtle's directory, or nothing when `current` needs no change. Entries
# are compared without the blanks around them and a trailing slash; the
# entry of the old layout (hurtle/heat_plugins, which would make Heat load
# Hurtle's resources twice) is dropped; the others are kept as they are.
function _hurtle_heat_plugin_dirs {
    local current=$1
    if [[ -z "${current//[[:space:],]/}" ]]; then
        echo "$HURTLE_HEAT_DEFAULT_PLUGIN_DIRS,$HURTLE_HEAT_PLUGIN_DIR"
        return 0
    fi
    local old_dir=${HURTLE_DIR%/}/hurtle/heat_plugins
    local entry kept="" found=0 stale=0
    local -a entries
    IFS=, read -r -a entries <<< "$current"
    for entry in "${entries[@]}"; do
        entry=${entry#"${entry%%[![:space:]]*}"}
        entry=${entry%"${entry##*[![:space:]]}"}
        if [[ -z "$entry" ]]; then
            continue
        elif [[ "${entry%/}" == "${HURTLE_HEAT_PLUGIN_DIR%/}" ]]; then
            found=1
        elif [[ "${entry%/}" == "$old_dir" ]]; then
            stale=1
            continue
        fi
        kept+=",$entry"
    done
    if [[ $stale -eq 1 ]]; then
        if [[ $found -eq 0 ]]; then
            kept+=",$HURTLE_HEAT_PLUGIN_DIR"
        fi
        echo "${kept#,}"
    elif [[ $found -eq 0 ]]; then
        echo "$current,$HURTLE_HEAT_PLUGIN_DIR"
    fi
}

# configure_heat_for_hurtle: let heat-engine load Hurtle's resource
# plugins (appended to plugin_dirs) and, if SDC_* are set, reach CloudAPI;
# restart heat-engine if it runs and heat.conf changed.
function configure_heat_for_hurtle {
    local heat_conf=$HURTLE_HEAT_CONF
    if [[ ! -f "$heat_conf" ]]; then
        die $LINENO "$heat_conf does not exist: Hurtle adds its plugin" \
            "directory to heat.conf after Heat's post-config phase wrote" \
            "it; enable Heat's plugin before Hurtle's in local.conf" \
            "('enable_plugin heat ...' then 'enable_plugin hurtle ...')"
    fi
    local before dirs
    before=$(cat "$heat_conf")

    dirs=$(_hurtle_heat_plugin_dirs "$(iniget $heat_conf DEFAULT plugin_dirs)")
    if [[ -n "$dirs" ]]; then
        iniset $heat_conf DEFAULT plugin_dirs "$dirs"
    fi

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

    _hurtle_configure_heat_notifications $heat_conf

    if [[ "$(cat "$heat_conf")" != "$before" ]] && \
            $SYSTEMCTL is-active --quiet $HURTLE_HEAT_ENGINE_UNIT; then
        echo_summary "Restarting heat-engine to load Hurtle's plugins"
        $SYSTEMCTL restart $HURTLE_HEAT_ENGINE_UNIT
    fi
}

# _hurtle_configure_heat_notifications heat_conf: with rabbit and
# hurtle-cc enabled (and HURTLE_HEAT_NOTIFICATIONS True), Heat notifies on
# devstack's RabbitMQ (messagingv2, unless heat.conf names a driver) and
# the CC listens there ([heat_notifications] transport_url, secret): SOs
# waiting for a stack see its changes at once. A driver of another kind
# in heat.conf leaves the CC polling.
function _hurtle_configure_heat_notifications {
    local heat_conf=$1 driver
    if [[ "$(trueorfalse True HURTLE_HEAT_NOTIFICATIONS)" != "True" ]] || \
            ! is_service_enabled rabbit || ! is_service_enabled hurtle-cc; then
        return 0
    fi
    driver=$(iniget $heat_conf oslo_messaging_notifications driver)
    if [[ -z "$driver" ]]; then
        driver=messagingv2
        iniset $heat_conf oslo_messaging_notifications driver $driver
    fi
    if [[ "$driver" != "messagingv2" && "$driver" != "messaging" ]]; then
        echo_summary "heat.conf notifies with $driver: the CC polls Heat"
        return 0
    fi
    iniset $HURTLE_CONF heat_notifications transport_url \
        "$(get_transport_url)"
}

# start_hurtle: the CC first (the SM calls it), then the SM, each under
# uwsgi; wait until each answers.
function start_hurtle {
    local uwsgi=$HURTLE_BIN_DIR/uwsgi
    if is_service_enabled hurtle-cc; then
        run_process hurtle-cc \
            "$uwsgi --procname-prefix hurtle-cc --ini $HURTLE_CC_UWSGI_CONF"
        wait_for_service $SERVICE_TIMEOUT "$(hurtle_cc_url)-/" || \
            die $LINENO "hurtle-cc did not start"
    fi
    if is_service_enabled hurtle-sm; then
        run_process hurtle-sm \
            "$uwsgi --procname-prefix hurtle-sm --ini $HURTLE_SM_UWSGI_CONF"
        wait_for_service $SERVICE_TIMEOUT "$(hurtle_sm_url)-/" || \
            die $LINENO "hurtle-sm did not start"
    fi
}

# stop_hurtle: the SM first, then the CC (which stops its SOs).
function stop_hurtle {
    local service
    for service in hurtle-sm hurtle-cc; do
        if is_service_enabled $service; then
            stop_process $service
        fi
    done
}

# _hurtle_drop_database: drop the hurtle database with the client of
# devstack's database type. clean.sh stops the database server (unstack.sh
# --all) before the clean phase and then removes its data: a server that
# no longer answers is reported, not an error.
function _hurtle_drop_database {
    local xtrace status=0
    xtrace=$(set +o | grep xtrace)
    set +o xtrace
    case ${DATABASE_TYPE:-} in
        mysql)
            mysql -u$DATABASE_USER -p$DATABASE_PASSWORD -h$MYSQL_HOST \
                -e "DROP DATABASE IF EXISTS hurtle;" || status=$?
            ;;
        postgresql)
            psql -h$DATABASE_HOST -U$DATABASE_USER -dtemplate1 \
                -c "DROP DATABASE IF EXISTS hurtle" || status=$?
            ;;
    esac
    $xtrace
    if [[ $status -ne 0 ]]; then
        echo "The hurtle database was not dropped: its server" \
            "($DATABASE_TYPE) does not answer; devstack's clean removes" \
            "the server's data." >&2
    fi
}

# cleanup_hurtle: remove what stack created: the database, the
# configuration and the state (with the SQLite file and the SOs' logs;
# the services log to the journal, devstack@hurtle-*).
function cleanup_hurtle {
    if is_service_enabled mysql postgresql; then
        _hurtle_drop_database
    fi
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
    if [[ "$1" == "stack" ]]; then
        _hurtle_check_heat_order
        _hurtle_check_sdc_settings
    fi

    if [[ "$1" == "stack" && "${2:-}" == "install" ]]; then
        echo_summary "Installing Hurtle"
        install_hurtle
    elif [[ "$1" == "stack" && "${2:-}" == "post-config" ]]; then
        echo_summary "Configuring Hurtle"
        configure_hurtle
        init_hurtle
        if is_service_enabled key keystone; then
            create_hurtle_accounts
        fi
    elif [[ "$1" == "stack" && "${2:-}" == "extra" ]]; then
        if is_service_enabled h-eng; then
            echo_summary "Configuring Heat for Hurtle"
            configure_heat_for_hurtle
        fi
        echo_summary "Starting Hurtle"
        start_hurtle
    elif [[ "$1" == "stack" && "${2:-}" == "test-config" ]]; then
        configure_tempest_for_hurtle
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_hurtle
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_hurtle
    fi
fi
