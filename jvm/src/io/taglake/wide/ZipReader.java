package io.taglake.wide;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.api.Binary;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Rows of one {@link ScanPart}: every needed column group's files for one key bucket are sorted by
 * key, so one pass zips them: the base group drives (every subject of the snapshot), the others
 * are advanced to its key; a subject absent from a sparse group reads the column's fill value.
 * Lazy: a LIMIT stops after the rows it needs, and only the projected columns are decoded.
 */
final class ZipReader implements Iterator<InternalRow>, Closeable {
  private final ScanPart part;
  private final Configuration conf;
  private final List<Cursor> cursors = new ArrayList<>();
  private final Set<UTF8String> keys;
  private boolean opened;

  ZipReader(ScanPart part, Configuration conf) {
    this.part = part;
    this.conf = conf;
    if (part.keys == null) {
      keys = null;
    } else {
      keys = new HashSet<>();
      for (String k : part.keys) {
        keys.add(UTF8String.fromString(k));
      }
    }
  }

  private void open() {
    opened = true;
    FilterCompat.Filter filter = FilterCompat.NOOP;
    if (part.keys != null) {
      Set<Binary> values = new HashSet<>();
      for (String k : part.keys) {
        values.add(Binary.fromString(k));
      }
      FilterPredicate predicate = FilterApi.in(FilterApi.binaryColumn(part.keyColumn), values);
      filter = FilterCompat.get(predicate);
    }
    for (int g = 0; g < part.files.length; g++) {
      cursors.add(Cursor.of(part.files[g], part.columns[g], conf, filter));
    }
    Cursor base = cursors.get(0);
    base.advance();
    skipUnwanted(base);
  }

  private void skipUnwanted(Cursor base) {
    while (keys != null && base.record != null && !keys.contains(base.key())) {
      base.advance();
    }
  }

  @Override
  public boolean hasNext() {
    if (!opened) {
      open();
    }
    boolean more = cursors.get(0).record != null;
    if (!more) {
      close();
    }
    return more;
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Cursor base = cursors.get(0);
    UTF8String key = base.key();
    Object[][] matched = new Object[cursors.size()][];
    matched[0] = base.record;
    for (int g = 1; g < cursors.size(); g++) {
      matched[g] = cursors.get(g).seek(key);
    }
    Object[] out = new Object[part.sourceGroup.length];
    for (int i = 0; i < out.length; i++) {
      int group = part.sourceGroup[i];
      if (group == ScanPart.KEY) {
        out[i] = key;
      } else if (group == ScanPart.DATE) {
        out[i] = part.days;
      } else if (group >= 0) {
        Object[] record = matched[group];
        out[i] = record == null ? part.fill[i] : record[part.sourceIndex[i]];
      }
    }
    base.advance();
    skipUnwanted(base);
    return new GenericInternalRow(out);
  }

  @Override
  public void close() {
    for (Cursor c : cursors) {
      c.close();
    }
    cursors.clear();
    cursors.add(Cursor.EMPTY);
  }

  /** Records of one group in key order: one file, or a k-way merge of several sorted files. */
  abstract static class Cursor implements Closeable {
    @Override
    public abstract void close();

    static final Cursor EMPTY = new Cursor() {
      @Override
      void advance() {
        record = null;
      }

      @Override
      public void close() {}
    };

    Object[] record;

    UTF8String key() {
      return (UTF8String) record[0];
    }

    abstract void advance();

    /** The record with this key, if the group has one (keys ascend across calls). */
    Object[] seek(UTF8String key) {
      if (record == null && !started) {
        started = true;
        advance();
      }
      while (record != null && key().compareTo(key) < 0) {
        advance();
      }
      return record != null && key().equals(key) ? record : null;
    }

    boolean started;

    static Cursor of(String[] files, String[] columns, Configuration conf, FilterCompat.Filter filter) {
      if (files.length == 0) {
        return EMPTY;
      }
      if (files.length == 1) {
        return new FileCursor(files[0], columns, conf, filter);
      }
      return new MergeCursor(files, columns, conf, filter);
    }
  }

  static final class FileCursor extends Cursor {
    private final String file;
    private final String[] columns;
    private final Configuration conf;
    private final FilterCompat.Filter filter;
    private ParquetReader<Object[]> reader;

    FileCursor(String file, String[] columns, Configuration conf, FilterCompat.Filter filter) {
      this.file = file;
      this.columns = columns;
      this.conf = conf;
      this.filter = filter;
    }

    @Override
    void advance() {
      started = true;
      try {
        if (reader == null) {
          reader = ParquetReader.builder(new RowReadSupport(columns), new Path(file))
              .withConf(conf).withFilter(filter).build();
        }
        record = reader.read();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }

    @Override
    public void close() {
      if (reader != null) {
        try {
          reader.close();
        } catch (IOException ignored) {
          // the task is over; nothing depends on a clean close
        }
        reader = null;
      }
    }
  }

  static final class MergeCursor extends Cursor {
    private final List<FileCursor> parts = new ArrayList<>();
    private final PriorityQueue<FileCursor> queue = new PriorityQueue<>((a, b) -> a.key().compareTo(b.key()));
    private boolean primed;

    MergeCursor(String[] files, String[] columns, Configuration conf, FilterCompat.Filter filter) {
      for (String f : files) {
        parts.add(new FileCursor(f, columns, conf, filter));
      }
    }

    @Override
    void advance() {
      started = true;
      if (!primed) {
        primed = true;
        for (FileCursor c : parts) {
          c.advance();
          if (c.record != null) {
            queue.add(c);
          }
        }
      } else if (record != null) {
        FileCursor head = queue.poll();
        head.advance();
        if (head.record != null) {
          queue.add(head);
        }
      }
      FileCursor next = queue.peek();
      record = next == null ? null : next.record;
    }

    @Override
    public void close() {
      for (FileCursor c : parts) {
        c.close();
      }
    }
  }
}
