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
"""``[sm]`` options: the Service Manager."""
from oslo_config import cfg

sm_group = cfg.OptGroup('sm', title='Service Manager')

sm_opts = [
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address the SM API binds to.'),
    cfg.PortOpt('port', default=8888, help='Port of the SM API.'),
    cfg.ListOpt('manifests', default=[],
                help='Service manifests (JSON files) this SM serves; each '
                     'becomes an OCCI kind at /<term>/.'),
    cfg.URIOpt('public_url', schemes=['http', 'https'],
               help='Public base URL of the SM API (like OpenStack '
                    'services\' public_endpoint), e.g. '
                    'https://cloud.example/sm . Locations the SM returns '
                    '(Location, X-OCCI-Location, query interface) are '
                    'built from it. Unset: from the request\'s Host '
                    'header, which must then be a valid host[:port] '
                    '(else 400).'),
    cfg.ListOpt('allowed_hosts', default=[],
                help='Host names (as in the Host header, port left aside) '
                     'the SM answers to besides IP addresses, localhost '
                     'and the host of public_url; "*" for any. Other '
                     'names are answered 400, which stops a web page '
                     'from reaching the SM through DNS rebinding. Checked '
                     'with auth_strategy = noauth, and with keystone when '
                     'set.'),
    cfg.URIOpt('cc_url', default='http://127.0.0.1:8887/',
               help='Endpoint of the Cloud Controller app API.'),
    cfg.StrOpt('service_project', default='service',
               help='Project the SM uses when it calls the CC.'),
    cfg.StrOpt('region', default='RegionOne',
               help='Region of this SM: whose templates (manifest '
                    '"resources") SOs use, and where its services are '
                    'registered in and looked up from the Keystone '
                    'catalog. A manifest listing "regions" gives each '
                    'instance a stack in every region listed instead.'),
    cfg.IntOpt('phase_timeout', default=600, min=1,
               help='Seconds one lifecycle phase (start SO, deploy, '
                    'provision, update, dispose) may take before the '
                    'instance is failed.'),
    cfg.FloatOpt('poll_interval', default=1.0, min=0.05,
                 help='Seconds between two polls of an SO or the CC.'),
    cfg.IntOpt('listing_cache_mb', default=32, min=0,
               help='MiB of rendered instances the SM keeps for JSON '
                    'listings (GET /<service>/ as application/occi+json, '
                    'whole or paged): an instance is rendered again only '
                    'when its record changed (read from the database on '
                    'each listing, so changes made by other SMs show at '
                    'once), or its project\'s mixins or the URL prefix '
                    'did. An instance takes about its JSON size plus 500 '
                    'bytes; least recently listed instances are dropped '
                    'beyond the limit. Set it above the largest '
                    'project\'s collection (a 10,000-instance project of '
                    'the sample service takes about 6 MiB), or listings '
                    'larger than it render every instance each time. 0 '
                    'disables the cache.'),
    cfg.IntOpt('max_instances_per_project', default=100, min=-1,
               help='Most instances one project may have in this SM\'s '
                    'database, all its services together; a create '
                    'beyond it is refused with 403 "Quota exceeded". '
                    'Each instance runs an SO process and its stacks. '
                    'An instance counts from its create until its '
                    'record is purged (while being deleted too); '
                    'the instances a composed service creates as its '
                    'dependencies count like any other, in the project '
                    'they are created in. -1: no limit.'),
    cfg.IntOpt('max_instances', default=1000, min=-1,
               help='Most instances in this SM\'s database, all projects '
                    'and services together (SMs sharing the database '
                    'share it); a create beyond it is refused with 403 '
                    '"Quota exceeded". It bounds what callers choosing '
                    'their project id (auth_strategy = noauth) can '
                    'create. -1: no limit.'),
    cfg.FloatOpt('call_timeout', default=120.0, min=0.1,
                 help='Seconds the SM waits for an SO to answer one '
                      'request (at most phase_timeout) before it tries '
                      'again (call_retries, within the phase\'s '
                      'deadline) and then counts the SO as not '
                      'answering. Requests that wait for the SO\'s work '
                      'wait longer: a GET the SO holds until its stack '
                      'changes, this plus the hold; the DELETE that '
                      'disposes of its stack, the time left in the '
                      'phase. An SO that is stopped or hung (it takes '
                      'connections but answers nothing) thus fails an '
                      'update within phase_timeout ("service '
                      'orchestrator (SO) does not answer"), and its '
                      'instance\'s delete disposes of the stack '
                      'directly. The default is longer than an SO\'s own '
                      'wait for the CC (90 s), so that an SO waiting for '
                      'Heat through the CC answers first.'),
    cfg.IntOpt('call_retries', default=3, min=0,
               help='Retries of a call to the CC or an SO that fails with '
                    'a connection error or 503.'),
    cfg.IntOpt('workers', default=8, min=1,
               help='Threads running instance lifecycles: at most this '
                    'many instances are created, updated or deleted at '
                    'once, the others wait for a thread. A lifecycle '
                    'thread mostly waits for its SO and the stack, so '
                    'this may exceed the number of CPUs; but it also '
                    'bounds the stacks Heat creates at once (the embedded '
                    'Heat on SQLite fails stacks with "database is '
                    'locked" with about 50).'),
    cfg.ListOpt('service_catalogue', default=[],
                help='SMs of other services, for composition: entries '
                     '<service_type>=<collection URL>, e.g. '
                     'http://schemas.hurtle.it/occi/sm#dns='
                     'http://127.0.0.1:8890/dns/ . Services served by this '
                     'SM need no entry; with Keystone, its catalog is '
                     'searched too.'),
    cfg.StrOpt('design', default='local', choices=['local', 'cc'],
               help='Where composition finds the SM of a depends_on '
                    'service type: "local" looks in this SM\'s own '
                    'manifests, service_catalogue, then (with Keystone) '
                    'the Keystone catalog; "cc" asks the CC\'s design '
                    'service alone (GET cc_url/service/<term>, see '
                    '[design] on the CC), which must then know every '
                    'type, this SM\'s own included.'),
    cfg.BoolOpt('register_service', default=False,
                help='With auth_strategy = keystone: at start, register '
                     'each service this SM serves in the Keystone catalog '
                     '(a service of the manifest\'s service_type named '
                     'after its term, and an endpoint on catalog_interface '
                     'in region at the collection URL: public_url, else '
                     'the manifest\'s service_endpoint, else '
                     'http://host:port/<term>/). Idempotent; an endpoint '
                     'with another URL is updated. Needs a '
                     '[service_credentials] user allowed to manage the '
                     'catalog (admin); the SM does not start if it '
                     'fails.'),
    cfg.StrOpt('catalog_interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Keystone catalog interface of the service endpoints '
                    'this SM registers and looks up (composition), in '
                    'the region [sm] region.'),
    cfg.BoolOpt('insecure', default=False,
                help='Skip TLS verification on calls to the CC and SOs.'),
    cfg.FloatOpt('watch_interval', default=10.0, min=0,
                 help='Seconds between two checks of the SOs of active '
                      'instances: an instance whose SO is down or does not '
                      'answer is shown "degraded" with a reason, and '
                      '"active" again once it answers. 0 disables the '
                      'checks.'),
    cfg.IntOpt('lease_time', default=30, min=2,
               help='Seconds a lease on an instance\'s lifecycle work '
                    'lasts unless renewed (several SMs on one database, '
                    'hurtle.sm.leases). The SM running the work renews '
                    'it every lease_time/3 seconds; when that SM dies, '
                    'another one takes the work over once the lease '
                    'expired (within lease_time + lease_scan_interval). '
                    'Keep it well above the clock skew between the SM '
                    'hosts.'),
    cfg.FloatOpt('lease_scan_interval', default=10.0, min=0.1,
                 help='Seconds between two searches, by each SM, for '
                      'instances in progress whose lease expired (their SM '
                      'died or stalled); the SM claims and resumes them.'),
    cfg.StrOpt('replica_id',
               help='Name of this SM replica in leases and logs; unique '
                    'among the SMs sharing a database. Unset: '
                    '<hostname>:<[sm] port> for hurtle-sm (one process per '
                    'host and port: a restarted SM resumes its own work at '
                    'once), <hostname>-<pid>-<random> under a WSGI server '
                    '(new at each start: the work of a killed worker is '
                    'resumed by any SM once its leases expire).'),
]


def register_opts(conf):
    conf.register_group(sm_group)
    conf.register_opts(sm_opts, group=sm_group)


def list_opts():
    return {sm_group.name: sm_opts}
