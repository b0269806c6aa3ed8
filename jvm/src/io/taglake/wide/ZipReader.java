package io.taglake.wide;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.filter2.predicate.Operators;
import org.apache.parquet.conf.HadoopParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.hadoop.util.HadoopCodecs;
import org.apache.parquet.hadoop.util.HadoopInputFile;
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
  private Files files;
  private List<Binary> bounds = List.of();   // upper keys of the read windows but the last
  private int window;                        // windows opened so far

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
    files = new Files(conf, part.files[0].length > 0 ? part.files[0][0] : null);
    if (part.keys == null && part.files[0].length > 0) {
      bounds = files.windowBounds(part.files[0][0], part.keyColumn);
    }
    openWindow();
  }

  /**
   * A scan without a key filter reads in key windows of 1, 2, 4, 8 ... pages of the base group (the
   * key is sorted, so the page index of every group's file maps a key range to the same few pages
   * of every column). parquet-mr otherwise reads a whole row group of every column before the first
   * record: a LIMIT 100 over 13,000 columns would read each file in full to return 100 rows. A full
   * scan pays a few more file openings (log2 of the pages), no more data.
   */
  private void openWindow() {
    for (Cursor c : cursors) {
      c.close();
    }
    cursors.clear();
    FilterCompat.Filter filter = windowFilter(window);
    window++;
    for (int g = 0; g < part.files.length; g++) {
      cursors.add(Cursor.of(part.files[g], part.columns[g], files, filter));
    }
    openAll(cursors);
    skipUnwanted(cursors.get(0));
  }

  /**
   * Every group's first record, read side by side: opening a file (footer, page indexes, the
   * dictionary of every column) is most of a short read, and a full row opens one file per group.
   */
  private static void openAll(List<Cursor> cursors) {
    List<Future<?>> first = new ArrayList<>();
    for (Cursor c : cursors) {
      first.add(OPENERS.submit(c::advance));
    }
    for (Future<?> f : first) {
      try {
        f.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof RuntimeException ? (RuntimeException) cause : new IllegalStateException(cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while opening the column groups", e);
      }
    }
  }

  private static final ExecutorService OPENERS = Executors.newFixedThreadPool(
      Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())), runnable -> {
        Thread thread = new Thread(runnable, "taglake-wide-open");
        thread.setDaemon(true);
        return thread;
      });

  private int windows() {
    return bounds.size() + 1;
  }

  private FilterCompat.Filter windowFilter(int w) {
    Operators.BinaryColumn key = FilterApi.binaryColumn(part.keyColumn);
    if (part.keys != null) {
      Set<Binary> values = new HashSet<>();
      for (String k : part.keys) {
        values.add(Binary.fromString(k));
      }
      return FilterCompat.get(FilterApi.in(key, values));
    }
    if (bounds.isEmpty()) {
      return FilterCompat.NOOP;
    }
    FilterPredicate upper = w < bounds.size() ? FilterApi.ltEq(key, bounds.get(w)) : null;
    FilterPredicate lower = w > 0 ? FilterApi.gt(key, bounds.get(w - 1)) : null;
    if (upper == null) {
      return FilterCompat.get(lower);
    }
    return FilterCompat.get(lower == null ? upper : FilterApi.and(lower, upper));
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
    while (cursors.get(0).record == null && window < windows()) {
      openWindow();
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
    window = windows();
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

    static Cursor of(String[] paths, String[] columns, Files files, FilterCompat.Filter filter) {
      if (paths.length == 0) {
        return EMPTY;
      }
      if (paths.length == 1) {
        return new FileCursor(paths[0], columns, files, filter);
      }
      return new MergeCursor(paths, columns, files, filter);
    }
  }

  /**
   * What every file of a task shares: one Hadoop configuration. A task opens
   * one file per column group, so a per-file cost counts: parquet-mr's {@code ParquetReader.builder}
   * creates (and parses the XML of) a fresh Hadoop {@code Configuration} per file, and its vectored
   * reads on the local checksummed file system start a thread per column range on small machines
   * (thousands for one full-width row); both are avoided here.
   */
  static final class Files {
    final Configuration conf;
    final HadoopParquetConfiguration parquetConf;

    Files(Configuration shared, String anyFile) {
      conf = new Configuration(shared);
      if (anyFile != null && isLocal(anyFile, conf)) {
        conf.setBoolean("parquet.hadoop.vectored.io.enabled", false);
      }
      parquetConf = new HadoopParquetConfiguration(conf);
    }

    private static boolean isLocal(String file, Configuration conf) {
      try {
        return new Path(file).getFileSystem(conf) instanceof LocalFileSystem;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot reach the file system of " + file, e);
      }
    }

    ParquetReader<Object[]> open(String file, String[] columns, FilterCompat.Filter filter) throws IOException {
      RowReadSupport support = new RowReadSupport(columns);
      return new ParquetReader.Builder<Object[]>(HadoopInputFile.fromPath(new Path(file), conf), parquetConf) {
        @Override
        protected ReadSupport<Object[]> getReadSupport() {
          return support;
        }
      }.withFilter(filter).withCodecFactory(HadoopCodecs.newFactory(conf, 0)).build();   // one per reader: not thread-safe
    }

    /** Upper keys of windows of 1, 2, 4 ... pages of this key-sorted file (empty: no page index). */
    List<Binary> windowBounds(String file, String keyColumn) {
      List<Binary> pageMax = new ArrayList<>();
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            if (chunk.getPath().toDotString().equals(keyColumn)) {
              ColumnIndex index = reader.readColumnIndex(chunk);
              if (index == null) {
                return List.of();
              }
              for (ByteBuffer max : index.getMaxValues()) {
                byte[] bytes = new byte[max.remaining()];
                max.duplicate().get(bytes);
                pageMax.add(Binary.fromConstantByteArray(bytes));
              }
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      List<Binary> bounds = new ArrayList<>();
      for (int pages = 1; pages < pageMax.size(); pages *= 2) {
        Binary bound = pageMax.get(pages - 1);
        if (bounds.isEmpty() || bound.compareTo(bounds.get(bounds.size() - 1)) > 0) {
          bounds.add(bound);
        }
      }
      return bounds;
    }
  }

  static final class FileCursor extends Cursor {
    private final String file;
    private final String[] columns;
    private final Files files;
    private final FilterCompat.Filter filter;
    private ParquetReader<Object[]> reader;

    FileCursor(String file, String[] columns, Files files, FilterCompat.Filter filter) {
      this.file = file;
      this.columns = columns;
      this.files = files;
      this.filter = filter;
    }

    @Override
    void advance() {
      started = true;
      try {
        if (reader == null) {
          reader = files.open(file, columns, filter);
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

    MergeCursor(String[] paths, String[] columns, Files files, FilterCompat.Filter filter) {
      for (String f : paths) {
        parts.add(new FileCursor(f, columns, files, filter));
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
