/**
 * Runs a cluster of controller processes on this machine (127.0.0.1, free ports, a temporary directory): used by
 * the multi-process tests, {@code flowkeeper bench datastore} and the demo. Every process is killed and the directory
 * removed on {@code close()} and, as a last resort, by a JVM shutdown hook.
 */
package io.flowkeeper.controller.local;
