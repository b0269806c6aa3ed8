package io.taglake.wide;

import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.RelationProvider;
import org.apache.spark.sql.sources.SchemaRelationProvider;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Map;

/**
 * {@code USING taglake_wide OPTIONS (path '<serving folder of a subject>', latest 'true'|'false')}.
 * Without a declared schema the table has every tag of the newest manifest (comments = display
 * names); with one (a business line's view of a subject) it exposes just those columns.
 */
public final class WideSource implements RelationProvider, SchemaRelationProvider, DataSourceRegister {
  @Override
  public String shortName() {
    return "taglake_wide";
  }

  @Override
  public BaseRelation createRelation(SQLContext sqlContext, Map<String, String> parameters) {
    String folder = folder(parameters);
    Manifest manifest = Manifest.current(folder, sqlContext.sparkContext().hadoopConfiguration());
    return new WideRelation(sqlContext, schemaOf(manifest), folder, latest(parameters));
  }

  @Override
  public BaseRelation createRelation(SQLContext sqlContext, Map<String, String> parameters, StructType schema) {
    return new WideRelation(sqlContext, schema, folder(parameters), latest(parameters));
  }

  static StructType schemaOf(Manifest manifest) {
    StructField[] fields = new StructField[manifest.columns.size() + 2];
    fields[0] = new StructField(manifest.key, DataTypes.StringType, false, Metadata.empty());
    fields[1] = new StructField(WideRelation.DATE_COLUMN, DataTypes.DateType, false, Metadata.empty());
    int i = 2;
    for (Manifest.Column c : manifest.columns) {
      Metadata comment = new MetadataBuilder().putString("comment", c.comment).build();
      fields[i++] = new StructField(c.name, DataType.fromDDL(c.type), true, comment);
    }
    return new StructType(fields);
  }

  private static String folder(Map<String, String> parameters) {
    if (parameters.get("path").isEmpty()) {
      throw new IllegalArgumentException("taglake_wide needs OPTIONS (path '<serving folder>')");
    }
    return parameters.get("path").get();
  }

  private static boolean latest(Map<String, String> parameters) {
    return parameters.get("latest").isDefined() && Boolean.parseBoolean(parameters.get("latest").get());
  }
}
