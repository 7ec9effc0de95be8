"""Atomic loads and stores for the threaded epoch (imports Numba: loaded only to build it).

The threads of one epoch meet at a barrier after each minibatch's partial
gradients (see ``_epoch._epoch_threads``): a thread publishes its phase with
a release store, and a waiting thread spins on an acquire load, which the
compiler can neither hoist out of the loop nor reorder with the partial
results it guards.
"""

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["load_acquire", "store_release"]


def _pointer(context, builder, signature, args):
    aryty = signature.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])


@intrinsic
def load_acquire(typingctx, arr, idx):
    """``arr[idx]`` (int64) loaded with acquire ordering."""

    def codegen(context, builder, signature, args):
        return builder.load_atomic(_pointer(context, builder, signature, args), "acquire", 8)

    return types.int64(arr, idx), codegen


@intrinsic
def store_release(typingctx, arr, idx, val):
    """``arr[idx] = val`` (int64) stored with release ordering."""

    def codegen(context, builder, signature, args):
        builder.store_atomic(args[2], _pointer(context, builder, signature, args), "release", 8)
        return context.get_dummy_value()

    return types.void(arr, idx, val), codegen
