"""SO of the composed sample service.

The SM creates the sample instance this service depends on before it
starts this SO and hands over the dependency's ``mcn.endpoint.sample``
(declared in this service's manifest) as an attribute; this SO deploys a
one-value stack pointing at it.
"""
from hurtle import sdk


class ComposedOrchestrator(sdk.StackOrchestrator):
    """SO of ``http://schemas.hurtle.it/occi/sm#composed``."""

    def parameters(self, phase, attributes):
        backend = attributes.get('mcn.endpoint.sample')
        if not backend:
            raise ValueError('mcn.endpoint.sample of the sample dependency '
                             'is missing')
        params = {'backend': str(backend)}
        if attributes.get('composed.label'):
            params['label'] = str(attributes['composed.label'])
        return params
