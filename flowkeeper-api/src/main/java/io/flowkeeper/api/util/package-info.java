/** Small helpers every module shares (no protocol or consensus types). */
package io.flowkeeper.api.util;
