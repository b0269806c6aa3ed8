package io.taglake.wide;

import java.time.LocalDate;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.unsafe.types.UTF8String;

/** A manifest's JSON scalar (a tag's fill value) as Catalyst's internal value of the column type. */
final class Values {
  private Values() {}

  static Object internal(Object json, DataType type) {
    if (json == null) {
      return null;
    }
    if (type instanceof LongType) {
      return ((Number) json).longValue();
    }
    if (type instanceof IntegerType) {
      return ((Number) json).intValue();
    }
    if (type instanceof DoubleType) {
      return ((Number) json).doubleValue();
    }
    if (type instanceof BooleanType) {
      return json instanceof Boolean ? json : Boolean.parseBoolean(String.valueOf(json));
    }
    if (type instanceof StringType) {
      return UTF8String.fromString(String.valueOf(json));
    }
    if (type instanceof DateType) {
      return (int) LocalDate.parse(String.valueOf(json)).toEpochDay();
    }
    throw new IllegalArgumentException("no fill value of type " + type.simpleString());
  }
}
