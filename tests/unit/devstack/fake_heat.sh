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

# What Heat's devstack plugin does to heat.conf and heat-engine, for
# tests/unit/devstack/test_plugin.py: its post-config removes the
# configuration directory and writes heat.conf anew; its extra phase runs
# heat-engine (service h-eng); unstack stops it.

if is_service_enabled h-eng; then
    if [[ "$1" == "stack" && "${2:-}" == "post-config" ]]; then
        rm -f $HEAT_CONF
        iniset $HEAT_CONF DEFAULT debug True
        iniset $HEAT_CONF database connection mysql+pymysql://heat
        # A notification driver set before Hurtle's extra phase.
        if [[ -n "${HURTLE_TEST_HEAT_NOTIFY:-}" ]]; then
            iniset $HEAT_CONF oslo_messaging_notifications driver \
                $HURTLE_TEST_HEAT_NOTIFY
        fi
    elif [[ "$1" == "stack" && "${2:-}" == "extra" ]]; then
        run_process h-eng "/usr/local/bin/heat-engine --config-file=$HEAT_CONF"
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_process h-eng
    fi
fi
