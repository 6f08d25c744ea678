/**
 * File-system helpers every module that keeps state on disk shares: private directories and files (0700/0600), so
 * another local user cannot read a node's Raft log or a host's flow snapshot.
 */
package io.flowkeeper.api.io;
