"""The ``none`` monitoring driver: no runtime monitoring (embedded default).

It answers every query by saying that monitoring is not configured, rather
than pretending to have metrics.
"""


class NoopMonitoring(object):
    """Monitoring driver that monitors nothing."""

    available = False

    def __init__(self, conf=None):
        self.conf = conf

    def metrics(self, app_id):
        """Return ``{}``: no metrics are collected by this driver."""
        return {}

    def describe(self):
        return ('no monitoring configured ([cc] monitoring = none); set it '
                'to a monitoring driver such as one for Monasca')
