package io.taglake.wide;

import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.sources.And;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.EqualTo;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.sources.GreaterThan;
import org.apache.spark.sql.sources.GreaterThanOrEqual;
import org.apache.spark.sql.sources.In;
import org.apache.spark.sql.sources.LessThan;
import org.apache.spark.sql.sources.LessThanOrEqual;
import org.apache.spark.sql.sources.PrunedFilteredScan;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A subject's tags as one wide table: one row per subject per snapshot date (or the latest date
 * only), one column per tag. A query pays only for what it touches: the column groups holding
 * its columns (plus the base group's keys), the dates its filter names, and for a key filter one
 * bucket; no join, no shuffle — each task zips the groups' key-sorted files of one bucket.
 * Filters are used for pruning only; Spark still evaluates all of them on the rows.
 */
public final class WideRelation extends BaseRelation implements PrunedFilteredScan {
  static final String DATE_COLUMN = "snapshot_date";
  static final int WIDE_COLUMNS = 1000;   // a scan of more columns is a preview, a full row or an export
  private static final String CODEGEN_FACTORY_MODE = "spark.sql.codegen.factoryMode";
  private final SQLContext sqlContext;
  private final StructType schema;
  private final String folder;
  private final boolean latest;

  WideRelation(SQLContext sqlContext, StructType schema, String folder, boolean latest) {
    this.sqlContext = sqlContext;
    this.schema = schema;
    this.folder = folder;
    this.latest = latest;
  }

  @Override
  public SQLContext sqlContext() {
    return sqlContext;
  }

  @Override
  public StructType schema() {
    return schema;
  }

  @Override
  public boolean needConversion() {
    return false;   // rows hold Catalyst's internal values
  }

  @Override
  public Filter[] unhandledFilters(Filter[] filters) {
    return filters;
  }

  @Override
  @SuppressWarnings("unchecked")
  public RDD<Row> buildScan(String[] requiredColumns, Filter[] filters) {
    Configuration conf = sqlContext.sparkContext().hadoopConfiguration();
    Manifest manifest = Manifest.current(folder, conf);
    List<Manifest.Snapshot> snapshots = new ArrayList<>();
    if (latest) {
      if (manifest.latest() != null) {
        snapshots.add(manifest.latest());
      }
    } else {
      snapshots.addAll(manifest.snapshots);
    }
    snapshots.removeIf(s -> !dateMatches(s.date, filters));
    Set<String> keys = keyFilter(manifest.key, filters);

    // Groups to read: the base (every subject's key) and the groups of the requested tags.
    List<String> groups = new ArrayList<>(Collections.singletonList(manifest.base));
    Map<String, List<String>> groupColumns = new LinkedHashMap<>();
    groupColumns.put(manifest.base, new ArrayList<>(Collections.singletonList(manifest.key)));
    for (String name : requiredColumns) {
      Manifest.Column column = manifest.column(name);
      if (column == null || isKey(manifest, name) || name.equalsIgnoreCase(DATE_COLUMN)) {
        continue;
      }
      if (!groupColumns.containsKey(column.group)) {
        groups.add(column.group);
        groupColumns.put(column.group, new ArrayList<>(Collections.singletonList(manifest.key)));
      }
      groupColumns.get(column.group).add(column.name);
    }

    List<ScanPart> parts = new ArrayList<>();
    for (Manifest.Snapshot snapshot : snapshots) {
      if (!snapshot.files.containsKey(manifest.base)) {
        continue;
      }
      int[] sourceGroup = new int[requiredColumns.length];
      int[] sourceIndex = new int[requiredColumns.length];
      Object[] fill = new Object[requiredColumns.length];
      for (int i = 0; i < requiredColumns.length; i++) {
        String name = requiredColumns[i];
        Manifest.Column column = manifest.column(name);
        if (isKey(manifest, name)) {
          sourceGroup[i] = ScanPart.KEY;
        } else if (name.equalsIgnoreCase(DATE_COLUMN)) {
          sourceGroup[i] = ScanPart.DATE;
        } else if (column == null || !snapshot.files.containsKey(column.group)) {
          sourceGroup[i] = ScanPart.ABSENT;   // not computed on this date (or unknown to it)
        } else {
          sourceGroup[i] = groups.indexOf(column.group);
          sourceIndex[i] = groupColumns.get(column.group).indexOf(column.name);
          fill[i] = Values.internal(column.fill, fieldType(name));
        }
      }
      Set<Integer> buckets = new TreeSet<>();
      if (keys == null) {
        for (int b = 0; b < snapshot.buckets; b++) {
          buckets.add(b);
        }
      } else {
        for (String k : keys) {
          buckets.add(Buckets.of(k, snapshot.buckets));
        }
      }
      for (int bucket : buckets) {
        String[][] files = new String[groups.size()][];
        String[][] columns = new String[groups.size()][];
        for (int g = 0; g < groups.size(); g++) {
          List<String> paths = new ArrayList<>();
          for (Manifest.FileRef f : snapshot.files.getOrDefault(groups.get(g), Collections.emptyList())) {
            if (f.bucket == bucket) {
              paths.add(f.path);
            }
          }
          files[g] = paths.toArray(new String[0]);
          columns[g] = groupColumns.get(groups.get(g)).toArray(new String[0]);
        }
        String[] wanted = keys == null ? null : keysOf(keys, bucket, snapshot.buckets);
        parts.add(new ScanPart((int) snapshot.date.toEpochDay(), bucket, manifest.key, files, columns, sourceGroup,
            sourceIndex, fill, wanted));
      }
    }

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sqlContext.sparkContext());
    Broadcast<SerializableConfiguration> shared = jsc.broadcast(new SerializableConfiguration(conf));
    boolean wide = requiredColumns.length > WIDE_COLUMNS;
    RDD<InternalRow> rows = jsc.parallelize(parts, Math.max(1, parts.size()))
        .mapPartitions(it -> {
          if (wide) {
            interpretProjections();
          }
          return it.hasNext() ? new ZipReader(it.next(), shared.value().value())
              : Collections.<InternalRow>emptyIterator();
        })
        .rdd();
    return (RDD<Row>) (RDD<?>) rows;
  }

  /**
   * Spark turns every scanned row into an UnsafeRow with a projection it generates and compiles
   * per task: for one full-width row of 13,000 columns that is seconds of code generation for
   * microseconds of work. A task of a wide scan asks for the interpreted projection instead, through
   * the task's own copy of the SQL conf (Spark's internal `spark.sql.codegen.factoryMode`,
   * read by the projection the scan's operator creates in the same task).
   */
  private static void interpretProjections() {
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.getLocalProperties().setProperty(CODEGEN_FACTORY_MODE, "NO_CODEGEN");
    }
  }

  private org.apache.spark.sql.types.DataType fieldType(String name) {
    StructField field = schema.apply(schema.fieldIndex(name));
    return field.dataType();
  }

  private static boolean isKey(Manifest manifest, String name) {
    return name.equalsIgnoreCase(manifest.key);
  }

  private static String[] keysOf(Set<String> keys, int bucket, int buckets) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (Buckets.of(k, buckets) == bucket) {
        out.add(k);
      }
    }
    return out.toArray(new String[0]);
  }

  /** Keys a filter pins the scan to (`key = x`, `key IN (...)`, possibly under AND), or null. */
  static Set<String> keyFilter(String key, Filter[] filters) {
    Set<String> keys = null;
    for (Filter f : flatten(filters)) {
      Set<String> these = null;
      if (f instanceof EqualTo && ((EqualTo) f).attribute().equalsIgnoreCase(key) && ((EqualTo) f).value() != null) {
        these = new LinkedHashSet<>(Collections.singletonList(String.valueOf(((EqualTo) f).value())));
      } else if (f instanceof In && ((In) f).attribute().equalsIgnoreCase(key)) {
        these = new LinkedHashSet<>();
        for (Object v : ((In) f).values()) {
          if (v != null) {
            these.add(String.valueOf(v));
          }
        }
      }
      if (these != null) {
        if (keys == null) {
          keys = these;
        } else {
          keys.retainAll(these);
        }
      }
    }
    return keys;
  }

  static boolean dateMatches(LocalDate date, Filter[] filters) {
    for (Filter f : flatten(filters)) {
      if (f instanceof EqualTo && ((EqualTo) f).attribute().equalsIgnoreCase(DATE_COLUMN)) {
        if (!date.equals(toDate(((EqualTo) f).value()))) {
          return false;
        }
      } else if (f instanceof In && ((In) f).attribute().equalsIgnoreCase(DATE_COLUMN)) {
        boolean any = false;
        for (Object v : ((In) f).values()) {
          any |= v != null && date.equals(toDate(v));
        }
        if (!any) {
          return false;
        }
      } else if (f instanceof GreaterThan && ((GreaterThan) f).attribute().equalsIgnoreCase(DATE_COLUMN)) {
        if (!date.isAfter(toDate(((GreaterThan) f).value()))) {
          return false;
        }
      } else if (f instanceof GreaterThanOrEqual && ((GreaterThanOrEqual) f).attribute().equalsIgnoreCase(DATE_COLUMN)) {
        if (date.isBefore(toDate(((GreaterThanOrEqual) f).value()))) {
          return false;
        }
      } else if (f instanceof LessThan && ((LessThan) f).attribute().equalsIgnoreCase(DATE_COLUMN)) {
        if (!date.isBefore(toDate(((LessThan) f).value()))) {
          return false;
        }
      } else if (f instanceof LessThanOrEqual && ((LessThanOrEqual) f).attribute().equalsIgnoreCase(DATE_COLUMN)) {
        if (date.isAfter(toDate(((LessThanOrEqual) f).value()))) {
          return false;
        }
      }
    }
    return true;
  }

  private static LocalDate toDate(Object value) {
    if (value instanceof LocalDate) {
      return (LocalDate) value;
    }
    if (value instanceof Date) {
      return ((Date) value).toLocalDate();
    }
    return LocalDate.parse(String.valueOf(value));
  }

  private static List<Filter> flatten(Filter[] filters) {
    List<Filter> out = new ArrayList<>();
    List<Filter> todo = new ArrayList<>(Arrays.asList(filters));
    while (!todo.isEmpty()) {
      Filter f = todo.remove(todo.size() - 1);
      if (f instanceof And) {
        todo.add(((And) f).left());
        todo.add(((And) f).right());
      } else {
        out.add(f);
      }
    }
    return out;
  }
}
