package io.flowkeeper.api.flow;

import java.util.List;

/**
 * A flow's instructions: actions applied now, an optional metadata write, an optional jump to a later table.
 * No actions and no jump means drop.
 *
 * @param writeMetadata null when metadata is not written
 * @param metadataMask the bits written (all ones for all 64)
 * @param gotoTable null when the pipeline ends here
 */
public record Instructions(List<Action> applyActions, Long writeMetadata, long metadataMask, Integer gotoTable) {
    public static final Instructions DROP = new Instructions(List.of(), null, -1L, null);

    public Instructions {
        applyActions = List.copyOf(applyActions);
        if (gotoTable != null && (gotoTable < 0 || gotoTable > 254)) {
            throw new IllegalArgumentException("goto_table must be 0..254: " + gotoTable);
        }
    }

    public static Instructions actions(Action... actions) {
        return new Instructions(List.of(actions), null, -1L, null);
    }

    public Instructions withGoto(int table) {
        return new Instructions(applyActions, writeMetadata, metadataMask, table);
    }

    public Instructions withMetadata(long value, long mask) {
        return new Instructions(applyActions, value, mask, gotoTable);
    }

    public boolean isDrop() {
        return applyActions.isEmpty() && writeMetadata == null && gotoTable == null;
    }
}
