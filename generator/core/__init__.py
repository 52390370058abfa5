"""The pure domain: no git, no MkDocs, no network, no clock."""
