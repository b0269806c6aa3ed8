package io.taglake.wide;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a subject's serving table reads: its tag columns (type, column group, fill value for
 * subjects absent from a sparse group) and, per retained snapshot date, the Parquet files of
 * every group by key bucket. Written by taglake (Python) as an immutable
 * {@code manifest-<20-digit sequence>.json} in the subject's serving folder; readers take the
 * highest sequence, so publishing the next manifest is the atomic switch to a new snapshot.
 */
public final class Manifest implements Serializable {
  private static final long serialVersionUID = 1L;
  static final String PREFIX = "manifest-";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Manifest> CACHE = Collections.synchronizedMap(
      new LinkedHashMap<String, Manifest>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Manifest> eldest) {
          return size() > 32;
        }
      });

  public static final class Column implements Serializable {
    private static final long serialVersionUID = 1L;
    public final String name;
    public final String type;
    public final String group;
    public final Object fill;      // JSON scalar or null
    public final String comment;

    Column(String name, String type, String group, Object fill, String comment) {
      this.name = name;
      this.type = type;
      this.group = group;
      this.fill = fill;
      this.comment = comment;
    }
  }

  public static final class FileRef implements Serializable {
    private static final long serialVersionUID = 1L;
    public final String path;
    public final int bucket;
    public final long rows;

    FileRef(String path, int bucket, long rows) {
      this.path = path;
      this.bucket = bucket;
      this.rows = rows;
    }
  }

  public static final class Snapshot implements Serializable {
    private static final long serialVersionUID = 1L;
    public final LocalDate date;
    public final int buckets;
    public final Map<String, List<FileRef>> files;   // group -> files

    Snapshot(LocalDate date, int buckets, Map<String, List<FileRef>> files) {
      this.date = date;
      this.buckets = buckets;
      this.files = files;
    }
  }

  public final String location;
  public final String subject;
  public final String key;
  public final String base;
  public final List<Column> columns;
  public final List<Snapshot> snapshots;   // ascending by date
  private final Map<String, Column> byName = new LinkedHashMap<>();

  private Manifest(String location, JsonNode root) {
    this.location = location;
    this.subject = root.path("subject").asText();
    this.key = root.path("key").asText();
    this.base = root.path("base").asText();
    List<Column> cols = new ArrayList<>();
    for (JsonNode c : root.path("columns")) {
      JsonNode fill = c.get("fill");
      Object value = null;
      if (fill != null && !fill.isNull()) {
        value = fill.isBoolean() ? (Object) fill.asBoolean()
            : fill.isIntegralNumber() ? (Object) fill.asLong()
            : fill.isNumber() ? (Object) fill.asDouble() : fill.asText();
      }
      Column col = new Column(c.path("name").asText(), c.path("type").asText(), c.path("group").asText(), value,
          c.path("comment").asText(""));
      cols.add(col);
      byName.put(col.name.toLowerCase(java.util.Locale.ROOT), col);
    }
    this.columns = Collections.unmodifiableList(cols);
    List<Snapshot> snaps = new ArrayList<>();
    for (JsonNode s : root.path("snapshots")) {
      Map<String, List<FileRef>> files = new LinkedHashMap<>();
      s.path("files").fields().forEachRemaining(e -> {
        List<FileRef> refs = new ArrayList<>();
        for (JsonNode f : e.getValue()) {
          refs.add(new FileRef(f.path("path").asText(), f.path("bucket").asInt(), f.path("rows").asLong()));
        }
        files.put(e.getKey(), refs);
      });
      snaps.add(new Snapshot(LocalDate.parse(s.path("date").asText()), s.path("buckets").asInt(1), files));
    }
    snaps.sort((a, b) -> a.date.compareTo(b.date));
    this.snapshots = Collections.unmodifiableList(snaps);
  }

  public Column column(String name) {
    return byName.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  public Snapshot latest() {
    return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
  }

  /** The newest manifest in a serving folder (cached: manifests never change once written). */
  public static Manifest current(String folder, Configuration conf) {
    try {
      Path dir = new Path(folder);
      FileSystem fs = dir.getFileSystem(conf);
      String newest = null;
      if (fs.exists(dir)) {
        for (FileStatus status : fs.listStatus(dir)) {
          String name = status.getPath().getName();
          if (name.startsWith(PREFIX) && name.endsWith(".json") && (newest == null || name.compareTo(newest) > 0)) {
            newest = name;
          }
        }
      }
      if (newest == null) {
        throw new IllegalStateException("no taglake serving manifest in " + folder
            + " (no snapshot published yet: run `taglake tags`)");
      }
      String file = new Path(dir, newest).toString();
      Manifest cached = CACHE.get(file);
      if (cached != null) {
        return cached;
      }
      try (InputStream in = fs.open(new Path(file))) {
        Manifest manifest = new Manifest(file, JSON.readTree(in));
        CACHE.put(file, manifest);
        return manifest;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the taglake serving manifest in " + folder, e);
    }
  }
}
