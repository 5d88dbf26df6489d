"""`digest fetch`: the subscriptions' feeds made into seed documents, before a build (which never fetches)."""
