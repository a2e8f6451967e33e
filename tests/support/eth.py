"""eth-account for the tests, imported without the recursion limit its import raises.

py_ecc (imported by eth-account) sets the process's recursion limit to 100000; a deeply nested JSON
body would then overflow the C stack and kill the test process instead of getting its 400.
"""

import sys

_LIMIT = sys.getrecursionlimit()

from eth_account import Account  # noqa: E402
from eth_account.messages import SignableMessage, encode_defunct  # noqa: E402

sys.setrecursionlimit(_LIMIT)

__all__ = ["Account", "SignableMessage", "encode_defunct"]
