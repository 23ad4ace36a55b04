"""Command-line arguments the gallery passes to each example (sphinx-gallery's
``reset_argv``): the Dask example builds 40,000 rows instead of its default 2 million,
so the gallery runs it within the documentation build's time."""

#: Arguments by example file name; the others run with none.
ARGUMENTS = {"dask_fit.py": ["--rows", "40000", "--chunk-rows", "7000"]}


def reset_argv(gallery_conf: dict, script_vars: dict) -> list[str]:
    """The ``sys.argv[1:]`` of the example ``script_vars["src_file"]``."""
    name = script_vars["src_file"].replace("\\", "/").rsplit("/", 1)[-1]
    return ARGUMENTS.get(name, [])
