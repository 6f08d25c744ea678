package io.flowkeeper.api.store;

/**
 * The outcome of a committed {@link Transaction}.
 *
 * @param succeeded true when every precondition held and the operations were applied
 * @param revision the shard revision after the commit (unchanged when {@code succeeded} is false)
 * @param failedPrecondition the first precondition that did not hold, or null
 */
public record CommitResult(boolean succeeded, long revision, Precondition failedPrecondition) {}
