"""``hurtle-sm``: the Service Manager API ([sm] host:port, default 8888)."""
import logging
import sys

from hurtle.cmd import common
from hurtle import manifest as manifest_mod
from hurtle import service
from hurtle.wsgi import app as wsgi_app

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle Service Manager')
    service.upgrade_database(conf)
    try:
        application, lifecycle = wsgi_app.load_app(conf, 'hurtle-sm')
    except (manifest_mod.ManifestError, ValueError) as exc:
        sys.exit('hurtle-sm: %s' % exc)
    lifecycle.recover()
    common.serve(conf, application, conf.sm.host, conf.sm.port, 'hurtle-sm',
                 on_stop=lambda: lifecycle.shutdown(wait=False))


if __name__ == '__main__':
    main()
