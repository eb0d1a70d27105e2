"""EnKash's syncers (registered with ``payments.sync.registry.syncer``)."""
