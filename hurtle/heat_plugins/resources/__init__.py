"""Heat resource plugins (``plugin_dirs``): resource modules only.

heat-engine imports every module in this directory itself (as
``heat.engine.plugins.<name>``); this file only makes the directory a
package so that it is installed with Hurtle.
"""
