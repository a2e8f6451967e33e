"""Ownership proofs of self-custody wallets: challenges, signature checks, the liveness flow."""
