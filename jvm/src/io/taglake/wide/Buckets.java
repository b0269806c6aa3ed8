package io.taglake.wide;

import org.apache.spark.unsafe.hash.Murmur3_x86_32;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The key bucket of a subject: the task that wrote it under {@code repartition(n, key)}, i.e.
 * Spark's HashPartitioning (Murmur3, seed 42, pmod). Every column group of a snapshot is written
 * with the same bucket count, so bucket b of every group holds the same keys, sorted.
 */
public final class Buckets {
  private static final int SEED = 42;

  private Buckets() {}

  public static int of(UTF8String key, int buckets) {
    int hash = Murmur3_x86_32.hashUnsafeBytes(key.getBaseObject(), key.getBaseOffset(), key.numBytes(), SEED);
    int mod = hash % buckets;
    return mod < 0 ? mod + buckets : mod;
  }

  public static int of(String key, int buckets) {
    return of(UTF8String.fromString(key), buckets);
  }
}
