"""The Joyent CloudAPI client library (no Heat imports): client, HTTP
Signature signing, typed errors and non-blocking polling helpers; the
``sdc`` client plugin (:mod:`hurtle.heat_plugins.clients.sdc`) builds on
it."""
