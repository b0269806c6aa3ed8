package io.taglake.wide;

import java.io.Serializable;

/**
 * One task of a wide read: one snapshot date and one key bucket, the files of every column group
 * it needs (the base group first: it holds every subject's key) and where each output column
 * comes from.
 */
final class ScanPart implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int KEY = -1;
  static final int DATE = -2;
  static final int ABSENT = -3;

  final int days;               // snapshot date, days since the epoch
  final int bucket;
  final String keyColumn;
  final String[][] files;       // per needed group: its Parquet files for this bucket (each sorted by key)
  final String[][] columns;     // per needed group: columns to read, the key first
  final int[] sourceGroup;      // per output column: group index, or KEY / DATE / ABSENT
  final int[] sourceIndex;      // per output column: index in its group's record
  final Object[] fill;          // per output column: value for a subject absent from a sparse group
  final String[] keys;          // only these keys (a point lookup), or null for all

  ScanPart(int days, int bucket, String keyColumn, String[][] files, String[][] columns, int[] sourceGroup,
           int[] sourceIndex, Object[] fill, String[] keys) {
    this.days = days;
    this.bucket = bucket;
    this.keyColumn = keyColumn;
    this.files = files;
    this.columns = columns;
    this.sourceGroup = sourceGroup;
    this.sourceIndex = sourceIndex;
    this.fill = fill;
    this.keys = keys;
  }
}
