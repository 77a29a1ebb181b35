"""Hurtle's version, from pbr (the git tag or PKG-INFO)."""
import pbr.version

version_info = pbr.version.VersionInfo('hurtle')
version_string = version_info.version_string
