"""The command line: the only place that parses arguments. Sub-commands live one noun per module."""
