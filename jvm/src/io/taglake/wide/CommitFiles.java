package io.taglake.wide;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The data files one Delta commit added for one partition value, with their key bucket — what a
 * column group's write of snapshot D produced (read from the commit's JSON in _delta_log, the
 * protocol's public format). Called by taglake's writer right after the commit.
 */
public final class CommitFiles {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.util.regex.Pattern TASK = java.util.regex.Pattern.compile("^part-(\\d+)-");
  private static final int STATS_PREFIX = 32;   // delta.dataSkippingStringPrefixLength default

  private CommitFiles() {}

  /** JSON array of {path, bucket, rows, min_key, max_key} for the files added with partition = value. */
  public static String added(String tableLocation, long version, String partitionColumn, String value,
                             String keyColumn, int buckets, Configuration conf) throws IOException {
    Path root = new Path(tableLocation);
    Path commit = new Path(root, String.format("_delta_log/%020d.json", version));
    FileSystem fs = commit.getFileSystem(conf);
    ArrayNode out = JSON.createArrayNode();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(commit), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode add = JSON.readTree(line).get("add");
        if (add == null || !value.equals(add.path("partitionValues").path(partitionColumn).asText(null))) {
          continue;
        }
        JsonNode stats = JSON.readTree(add.path("stats").asText("{}"));
        String min = stats.path("minValues").path(keyColumn).asText(null);
        String max = stats.path("maxValues").path(keyColumn).asText(null);
        if (min == null) {
          throw new IllegalStateException("file " + add.path("path").asText() + " of " + tableLocation
              + " has no statistics on " + keyColumn + "; the key must be a data-skipping column");
        }
        // The writing task's number is the bucket (repartition(buckets, key): task i writes hash
        // partition i); Delta truncates string statistics to 32 characters, so a shorter min key
        // is exact and double-checks it.
        String file = add.path("path").asText();
        java.util.regex.Matcher task = TASK.matcher(file.substring(file.lastIndexOf('/') + 1));
        if (!task.find()) {
          throw new IllegalStateException("cannot tell the bucket of " + file + " in " + tableLocation);
        }
        int bucket = Integer.parseInt(task.group(1));
        boolean exact = min.length() < STATS_PREFIX;
        if (bucket >= buckets || (exact && Buckets.of(min, buckets) != bucket)
            || (max != null && max.length() < STATS_PREFIX && Buckets.of(max, buckets) != bucket)) {
          throw new IllegalStateException("file " + file + " of " + tableLocation
              + " was not written bucketed by " + keyColumn + " into " + buckets + " buckets");
        }
        out.addObject()
            .put("path", absolute(root, add.path("path").asText()))
            .put("bucket", bucket)
            .put("rows", stats.path("numRecords").asLong(-1));
      }
    }
    return JSON.writeValueAsString(out);
  }

  private static String absolute(Path root, String path) {
    try {
      URI uri = new URI(path);
      return uri.isAbsolute() ? new Path(uri).toString() : new Path(root, new Path(uri)).toString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("bad file path in the Delta log: " + path, e);
    }
  }
}
