package io.taglake.serving;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters$;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.classic.Dataset;
import org.apache.spark.sql.execution.CollectLimitExec;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SQLExecution$;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.TakeOrderedAndProjectExec;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;

import java.util.Arrays;

import scala.Function1;
import scala.Option;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The rows of a query as {@link Row}s, without Spark's Row encoder.
 *
 * {@code Dataset.collect} and {@code toLocalIterator} turn internal rows into Rows with an encoder
 * that is analysed and compiled for every query: for a 13,740-column tag row that alone takes
 * seconds (a deserializer expression per column, resolved by the analyser, then a generated
 * projection of every field), more than reading the row. Here each field is converted by Spark's
 * interpreted per-type converters (the same external values: String, Double, Date or LocalDate as
 * configured, BigDecimal ...), which costs nothing to build.
 *
 * A result bounded by a small LIMIT is collected the way {@code collect()} does it (a few
 * partitions at a time, stopping when enough rows came back); any other result streams partition
 * by partition, so an unbounded SELECT never has to fit in the driver.
 */
public final class DirectRows {
    /** Largest LIMIT collected at once; a larger one streams. */
    static final int COLLECT_AT_ONCE = 10_000;

    private DirectRows() {}

    public static Iterator<Row> of(Dataset<Row> result) {
        QueryExecution execution = result.queryExecution();
        Function1<Object, Object> toRow = CatalystTypeConverters$.MODULE$.createToScalaConverter(result.schema());
        Iterator<InternalRow> rows = SQLExecution$.MODULE$.withNewExecutionId(execution, Option.apply("toLocalIterator"), () -> {
            SparkPlan plan = execution.executedPlan();
            plan.resetMetrics();
            return boundedBySmallLimit(plan)
                ? CollectionConverters.asScala(Arrays.asList(plan.executeCollect()).iterator())
                : plan.executeToIterator();
        });
        return rows.map(row -> (Row) toRow.apply(row));
    }

    static boolean boundedBySmallLimit(SparkPlan plan) {
        if (plan instanceof AdaptiveSparkPlanExec adaptive) {
            plan = adaptive.inputPlan();
        }
        if (plan instanceof CollectLimitExec limit) {
            return limit.limit() >= 0 && limit.limit() <= COLLECT_AT_ONCE;
        }
        return plan instanceof TakeOrderedAndProjectExec top && top.limit() <= COLLECT_AT_ONCE;
    }
}
