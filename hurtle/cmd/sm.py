"""``hurtle-sm``: the Service Manager API ([sm] host:port, default 8888)."""
import logging
import sys

from hurtle.api import paste as hurtle_paste
from hurtle.cmd import common
from hurtle.sm import manifest as manifest_mod

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = common.prepare(sys.argv[1:] if argv is None else argv,
                          'Hurtle Service Manager')
    common.upgrade_database()
    try:
        application = hurtle_paste.load_app('hurtle-sm')
    except (manifest_mod.ManifestError, ValueError) as exc:
        sys.exit('hurtle-sm: %s' % exc)
    lifecycle = hurtle_paste.BUILT['sm']
    lifecycle.recover()
    common.serve(application, conf.sm.host, conf.sm.port, 'hurtle-sm',
                 on_stop=lambda: lifecycle.shutdown(wait=False))


if __name__ == '__main__':
    main()
