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
"""``[cc]`` options: the Cloud Controller."""
from oslo_config import cfg

cc_group = cfg.OptGroup('cc', title='Cloud Controller')

cc_opts = [
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address the CC app API binds to.'),
    cfg.PortOpt('port', default=8887, help='Port of the CC app API.'),
    cfg.URIOpt('url', schemes=['http', 'https'],
               help='URL at which SOs reach the CC (handed to each SO as '
                    'HURTLE_CC_URL; the cc deployer driver creates its '
                    'stacks there). Default: http://<host>:<port>/ from '
                    'host and port (127.0.0.1 when host is a wildcard '
                    'address).'),
    cfg.StrOpt('runtime', default='local',
               help='Runtime driver deploying SOs (entry point in '
                    'hurtle.cc.runtime): "local" runs each SO as a process '
                    'on so_host; "shared" runs the Python SOs of one bundle '
                    'in one host process (hurtle-so-host), each on its own '
                    'port of so_host, and other SOs as "local" does; '
                    '"kubernetes" as a Deployment on a cluster (options in '
                    '[kubernetes]). An unknown name stops hurtle-cc with '
                    'the list of installed drivers.'),
    cfg.IntOpt('so_start_timeout', default=60, min=1,
               help='Seconds an SO process may take to answer on its '
                    'port.'),
    cfg.IntOpt('parallel_starts', min=1,
               sample_default='<4 x the number of CPUs>',
               help='SO processes the local runtime starts at once (from '
                    'its start until it answers); further starts wait for '
                    'one of them, and so_start_timeout counts from when a '
                    'start begins. Starting an SO is mostly CPU: many more '
                    'at once than CPUs only makes each answer later. '
                    'Default: 4 times the number of CPUs.'),
    cfg.BoolOpt('so_fork_server', default=True,
                help='The local runtime starts Python SOs (hurtle-so) by '
                     'forking them from an SO fork server: one process, '
                     'started with the CC, that imported what '
                     'an SO needs once (an SO then answers about 4 '
                     'times sooner, with a sixth of the CPU, and shares '
                     'more than half of its memory with the others). '
                     'Each forked SO has exactly the environment, '
                     'command line (as /proc shows them), '
                     'session, files and configuration a spawned one '
                     'has. SOs with a bundle.json, or whose '
                     'environment sets PYTHON*/LD_* variables other than '
                     'the CC\'s, are spawned, as are all while the fork '
                     'server cannot be used (it is restarted at most once '
                     'a minute). False: spawn every SO (a new '
                     'interpreter each).'),
    cfg.IntOpt('so_log_keep_days', default=7, min=-1,
               help='Days the local and shared runtimes keep the log of a '
                    'deleted app\'s SO (<state_path>/so/<app id>.log) '
                    'after its last write: the watcher removes older ones '
                    'of apps no longer recorded, once an hour. 0: remove '
                    'the log with its app; -1: keep every log (rotate or '
                    'remove them yourself).'),
    cfg.HostAddressOpt('so_host', default='127.0.0.1',
                       help='Address local SO processes bind to.'),
    cfg.ListOpt('allowed_images', default=[],
                help='SO bundles (directories, relative to the directory '
                     'of the config file that sets it) or images the CC may '
                     'start, '
                     'besides the so_bundle of every manifest in [sm] '
                     'manifests. Any other occi.app.image is refused with '
                     '403.'),
    cfg.ListOpt('extra_env_keys', default=[],
                help='Environment variable names an app\'s occi.app.env may '
                     'set besides HURTLE_SO_SECRET, HURTLE_INSTANCE_ID, '
                     'HURTLE_PROJECT, HURTLE_SO_TEMPLATES, '
                     'HURTLE_SO_REGIONS and HURTLE_TRUST_ID; any other '
                     'key is refused with 400.'),
    cfg.FloatOpt('watch_interval', default=1.0, min=0.1,
                 help='Seconds between two checks that the SOs of active '
                      'apps still run.'),
    cfg.IntOpt('restart_attempts', default=5, min=0,
               help='Times the CC restarts a dead SO before it leaves its '
                    'app in state error (counted from the last time the '
                    'app was started or became active).'),
    cfg.FloatOpt('restart_backoff', default=1.0, min=0,
                 help='Seconds before the first restart of a dead SO; '
                      'doubled after each failed attempt, up to '
                      'restart_backoff_max.'),
    cfg.FloatOpt('stack_poll_interval', default=1.0, min=0.05,
                 help='Seconds between two reads of a stack from Heat '
                      'while an SO waits for it to change (a GET of '
                      'the stack kind with If-None-Match and "Prefer: '
                      'wait=N") and no stack event source is live (see '
                      'stack_recheck_interval).'),
    cfg.FloatOpt('stack_recheck_interval', default=10.0, min=0.05,
                 help='Seconds between two reads of a stack from Heat '
                      'while an SO waits for it to change and a stack '
                      'event source is live (the embedded Heat under '
                      'hurtle-all, which posts an event to the CC for '
                      'each change of a stack): the stack is read again '
                      'as soon as an event names it, and after this '
                      'many seconds at the latest, should an event be '
                      'lost.'),
    cfg.FloatOpt('orphan_stack_interval', default=60.0, min=0,
                 help='Seconds between two looks for the Heat stacks '
                      'made by lost creates (a create Heat did not '
                      'answer, or still unanswered when its app was '
                      'deleted) of apps that no longer exist: such a '
                      'stack, tagged hurtle-app-<id> and of that name, '
                      'is deleted with the credentials of its create. '
                      'Only lost creates younger than orphan_stack_window '
                      'of deleted apps cost Heat calls (one listing per '
                      'app and region); without any a look is one '
                      'database query. A stack event announcing a create '
                      'looks at once (at most once a second). 0 turns it '
                      'off. See doc/source/admin/recovery.rst.'),
    cfg.IntOpt('orphan_stack_window', default=3600, min=0,
               help='Seconds the CC keeps a lost stack create (its app, '
                    'stack name, region, project and credentials): a '
                    'stack Heat makes for it later than that is left '
                    'alone.'),
    cfg.IntOpt('start_retries', default=2, min=0,
               help='Times the CC starts an SO again when its process '
                    'ended (exited, or was killed) after it was started '
                    'and before it answered, within one start (an app '
                    'created or started, or a restart of the watcher); '
                    'only then, when every attempt ended so, does the '
                    'start fail (409 with how the last one ended). A '
                    'start that fails otherwise (a bad bundle, no answer '
                    'within so_start_timeout) is not retried.'),
    cfg.FloatOpt('start_retry_backoff', default=0.5, min=0,
                 help='Seconds before the first retry of an SO start '
                      '(start_retries); doubled before each next one.'),
    cfg.FloatOpt('restart_backoff_max', default=30.0, min=0,
                 help='Longest wait, in seconds, between two restarts of '
                      'a dead SO.'),
    cfg.IntOpt('so_liveness_failures', default=3, min=0,
               help='Probes in a row an SO that runs may leave '
                    'unanswered before the CC kills it (SIGKILL) and '
                    'restarts it as a dead SO (restart_* options): every '
                    'so_liveness_interval seconds the CC sends each SO of '
                    'an active app a GET /-/ (answered at once, with 401, '
                    'without the SO\'s secret; any HTTP answer counts) '
                    'that must be answered within so_liveness_timeout '
                    'seconds. With the shared runtime each hosted SO is '
                    'probed; an SO whose host process does not answer '
                    'has its host killed, and every SO of that host is '
                    'restarted. 0: no probe (an SO that runs but does '
                    'not answer, e.g. stopped with SIGSTOP, is left '
                    'alone). With the kubernetes runtime the CC does not '
                    'probe: the SO container of a bundle gets a liveness '
                    'probe from these three options (exec '
                    'hurtle-so-probe, the same GET /-/), and the kubelet '
                    'restarts it.'),
    cfg.FloatOpt('so_liveness_timeout', default=10.0, min=0.1,
                 help='Seconds an SO may take to answer a liveness probe '
                      '(so_liveness_failures); a slower answer is a '
                      'failed probe.'),
    cfg.FloatOpt('so_liveness_interval', default=10.0, min=0.1,
                 help='Seconds between the starts of two liveness probes '
                      'of one SO (so_liveness_failures); a probe still '
                      'waiting for its answer is never doubled. An SO '
                      'that stopped answering is killed after about '
                      'so_liveness_failures times the longer of this and '
                      'so_liveness_timeout.'),
    cfg.FloatOpt('so_stop_grace', default=10.0, min=0,
                 help='Seconds an SO process (or a shared SO host) has to '
                      'exit after SIGTERM before it is killed (SIGKILL), '
                      'when its app is stopped or deleted and when the CC '
                      'stops. At CC shutdown every SO gets SIGTERM at '
                      'once and this one grace covers them all, so the CC '
                      'stops within about this many seconds whatever the '
                      'number of SOs that do not exit.'),
]


def url(conf):
    """The CC's URL for SOs: ``[cc] url``, else derived from ``[cc]
    host`` and ``port`` (a wildcard host becomes the loopback address of
    its family; IPv6 addresses are bracketed), e.g.
    ``http://127.0.0.1:8887/``."""
    if conf.cc.url:
        return conf.cc.url
    host = conf.cc.host or '127.0.0.1'
    host = {'0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1'}.get(
        host, host)
    if ':' in host:
        host = '[%s]' % host
    return 'http://%s:%d/' % (host, conf.cc.port)


def register_opts(conf):
    conf.register_group(cc_group)
    conf.register_opts(cc_opts, group=cc_group)


def list_opts():
    return {cc_group.name: cc_opts}
