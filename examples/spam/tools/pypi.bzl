"""Macros for packages distributed on PyPI."""

def pypi_package(name, dist, version, license, description, deps = [], **kwargs):
    """A package() for a PyPI distribution, with its purl filled in.

    Args:
      name: the target name.
      dist: the distribution's name on PyPI.
      version: the version, as pinned.
      license: an SPDX license expression.
      description: one line for people.
      deps: the packages it depends on (may be a select).
      **kwargs: passed on to package(): visibility, tags, target_compatible_with.
    """
    package(
        name = name,
        version = version,
        license = license,
        purl = "pkg:pypi/%s@%s" % (dist.lower(), version),
        description = description,
        deps = deps,
        metadata = {"ecosystem": "pypi", "dist": dist},
        **kwargs
    )

# A label for BUILD files to load (BUILD.example does). Label() resolves a
# relative label against this file's package, //tools, whatever package uses
# it; str() gives its canonical text, and a Label stands wherever a label
# string may (in a list of labels, as a select key).
NUMPY = Label("//third_party/numpy")
