"""axvgen: validates the axvcpu spec and emits C, tests and docs from it."""

VERSION = "0.1.0"
