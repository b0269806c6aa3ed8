package io.taglake.wide;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Reads chosen top-level columns of a Parquet file written by Spark into Object[] records holding
 * Catalyst's internal values (UTF8String, Integer days, Long micros, ...): index i of a record is
 * column {@code names[i]}, null where the file lacks the column (a tag added after the file was
 * written). Only the projected columns are decoded.
 */
final class RowReadSupport extends ReadSupport<Object[]> {
  private static final long JULIAN_DAY_OF_EPOCH = 2440588L;
  private static final long MICROS_PER_DAY = 86_400_000_000L;
  private final String[] names;

  RowReadSupport(String[] names) {
    this.names = names;
  }

  @Override
  public ReadContext init(Configuration conf, Map<String, String> keyValueMetaData, MessageType fileSchema) {
    List<Type> fields = new ArrayList<>();
    for (String name : names) {
      if (fileSchema.containsField(name)) {
        fields.add(fileSchema.getType(name));
      }
    }
    return new ReadContext(new MessageType(fileSchema.getName(), fields));
  }

  @Override
  public RecordMaterializer<Object[]> prepareForRead(Configuration conf, Map<String, String> keyValueMetaData,
                                                     MessageType fileSchema, ReadContext context) {
    MessageType requested = context.getRequestedSchema();
    Root root = new Root(names.length);
    Converter[] converters = new Converter[requested.getFieldCount()];
    for (int i = 0; i < converters.length; i++) {
      Type field = requested.getType(i);
      int slot = indexOf(field.getName());
      converters[i] = converter(field, value -> root.record[slot] = value);
    }
    root.converters = converters;
    return new RecordMaterializer<Object[]>() {
      @Override
      public Object[] getCurrentRecord() {
        return root.record;
      }

      @Override
      public GroupConverter getRootConverter() {
        return root;
      }
    };
  }

  private int indexOf(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    throw new IllegalStateException("column " + name + " was not requested");
  }

  interface Sink {
    void accept(Object value);
  }

  private static final class Root extends GroupConverter {
    final int width;
    Object[] record;
    Converter[] converters;

    Root(int width) {
      this.width = width;
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return converters[fieldIndex];
    }

    @Override
    public void start() {
      record = new Object[width];
    }

    @Override
    public void end() {}
  }

  static Converter converter(Type field, Sink sink) {
    if (field.isPrimitive()) {
      return primitive(field.asPrimitiveType(), sink);
    }
    GroupType group = field.asGroupType();
    if (!(group.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation)) {
      throw new UnsupportedOperationException("column " + field.getName() + ": only lists of scalars are supported");
    }
    return new ListConverter(group, sink);
  }

  /** LIST: 3-level (list / element) as Spark writes it, or the legacy 2-level form. */
  private static final class ListConverter extends GroupConverter {
    private final Sink sink;
    private final List<Object> items = new ArrayList<>();
    private final Converter child;

    ListConverter(GroupType list, Sink sink) {
      this.sink = sink;
      Type repeated = list.getType(0);
      child = repeated.isPrimitive() ? primitive(repeated.asPrimitiveType(), items::add)
          : new ElementConverter(repeated.asGroupType());
    }

    /** One occurrence of the repeated group: its element, or null when the element is absent. */
    private final class ElementConverter extends GroupConverter {
      private final Converter inner;
      private Object value;

      ElementConverter(GroupType element) {
        inner = converter(element.getType(0), v -> value = v);
      }

      @Override
      public Converter getConverter(int fieldIndex) {
        return inner;
      }

      @Override
      public void start() {
        value = null;
      }

      @Override
      public void end() {
        items.add(value);
      }
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return child;
    }

    @Override
    public void start() {
      items.clear();
    }

    @Override
    public void end() {
      sink.accept(new GenericArrayData(items.toArray()));
    }
  }

  private static Converter primitive(PrimitiveType type, Sink sink) {
    LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
    switch (type.getPrimitiveTypeName()) {
      case BINARY:
      case FIXED_LEN_BYTE_ARRAY:
        return new StringConverter(sink);
      case INT32:
        return new PrimitiveConverter() {
          @Override
          public void addInt(int value) {
            sink.accept(value);
          }
        };
      case INT64:
        long scale = 1;
        if (logical instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) {
          LogicalTypeAnnotation.TimeUnit unit = ((LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) logical).getUnit();
          scale = unit == LogicalTypeAnnotation.TimeUnit.MILLIS ? 1000 : 1;
          if (unit == LogicalTypeAnnotation.TimeUnit.NANOS) {
            scale = -1000;
          }
        }
        final long factor = scale;
        return new PrimitiveConverter() {
          @Override
          public void addLong(long value) {
            sink.accept(factor == 1 ? value : factor > 0 ? value * factor : value / -factor);
          }
        };
      case INT96:
        return new PrimitiveConverter() {
          @Override
          public void addBinary(Binary value) {
            ByteBuffer buf = value.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long nanosOfDay = buf.getLong();
            long julianDay = buf.getInt();
            sink.accept((julianDay - JULIAN_DAY_OF_EPOCH) * MICROS_PER_DAY + nanosOfDay / 1000);
          }
        };
      case DOUBLE:
        return new PrimitiveConverter() {
          @Override
          public void addDouble(double value) {
            sink.accept(value);
          }
        };
      case FLOAT:
        return new PrimitiveConverter() {
          @Override
          public void addFloat(float value) {
            sink.accept((double) value);
          }
        };
      case BOOLEAN:
        return new PrimitiveConverter() {
          @Override
          public void addBoolean(boolean value) {
            sink.accept(value);
          }
        };
      default:
        throw new UnsupportedOperationException("Parquet type " + type);
    }
  }

  /** Strings, decoding each dictionary entry once. */
  private static final class StringConverter extends PrimitiveConverter {
    private final Sink sink;
    private UTF8String[] dictionary;

    StringConverter(Sink sink) {
      this.sink = sink;
    }

    @Override
    public boolean hasDictionarySupport() {
      return true;
    }

    @Override
    public void setDictionary(Dictionary dict) {
      dictionary = new UTF8String[dict.getMaxId() + 1];
      for (int i = 0; i < dictionary.length; i++) {
        dictionary[i] = UTF8String.fromBytes(dict.decodeToBinary(i).getBytes());
      }
    }

    @Override
    public void addValueFromDictionary(int dictionaryId) {
      sink.accept(dictionary[dictionaryId]);
    }

    @Override
    public void addBinary(Binary value) {
      sink.accept(UTF8String.fromBytes(value.getBytes()));
    }
  }
}
