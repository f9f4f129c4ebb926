"""YAML files read strictly: a key given twice in one mapping is an error, not a silent overwrite."""

import yaml


class DuplicateKeyError(ValueError):
    """A mapping of a YAML file has the same key twice."""


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node, deep=False):
    first_line = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in first_line:
            raise DuplicateKeyError(f"key '{key}' is given twice (lines {first_line[key]} and {line})")
        first_line[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(path):
    """The content of the YAML file ``path``; DuplicateKeyError or yaml.YAMLError if it is not valid."""
    with open(path) as handle:
        return yaml.load(handle, Loader=_StrictLoader)
