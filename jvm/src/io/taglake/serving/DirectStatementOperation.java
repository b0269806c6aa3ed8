package io.taglake.serving;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;

import org.apache.hive.service.cli.HiveSQLException;
import org.apache.hive.service.cli.OperationState;
import org.apache.hive.service.cli.session.HiveSession;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.classic.Dataset;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2$;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServerErrors$;
import org.apache.spark.sql.hive.thriftserver.IterableFetchIterator;
import org.apache.spark.sql.hive.thriftserver.SparkExecuteStatementOperation;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.Utils$;

import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * Spark's HiveServer2 statement, with the result rows made by {@link DirectRows} instead of
 * {@code Dataset.toLocalIterator} (whose Row encoder costs seconds per statement on a wide tag
 * row). Everything else is Spark's own operation: state changes, job group and cancellation,
 * timeouts, the events of the server's UI, error messages, and fetching (which reads the fields
 * this statement sets, as Spark's own execute does).
 *
 * Spark keeps those fields private, so they are reached by reflection; {@link #SUPPORTED} says
 * whether this Spark build has them (the endpoint falls back to Spark's operation otherwise).
 */
public class DirectStatementOperation extends SparkExecuteStatementOperation {
    private static final Field RESULT;
    private static final Field ITER;
    private static final Field DATA_TYPES;
    private static final Method REDACTED_STATEMENT;
    private static final Method FORCE_CANCEL;
    static final boolean SUPPORTED;

    static {
        Field result = null, iter = null, dataTypes = null;
        Method redacted = null, forceCancel = null;
        try {
            Class<?> spark = SparkExecuteStatementOperation.class;
            result = accessible(spark.getDeclaredField(
                "org$apache$spark$sql$hive$thriftserver$SparkExecuteStatementOperation$$result"));
            iter = accessible(spark.getDeclaredField("iter"));
            dataTypes = accessible(spark.getDeclaredField("dataTypes"));
            redacted = spark.getDeclaredMethod("redactedStatement");
            redacted.setAccessible(true);
            forceCancel = spark.getDeclaredMethod("forceCancel");
            forceCancel.setAccessible(true);
            spark.getMethod("org$apache$spark$sql$hive$thriftserver$SparkExecuteStatementOperation$$execute");
        } catch (ReflectiveOperationException | RuntimeException e) {
            result = null;
        }
        RESULT = result;
        ITER = iter;
        DATA_TYPES = dataTypes;
        REDACTED_STATEMENT = redacted;
        FORCE_CANCEL = forceCancel;
        SUPPORTED = result != null;
    }

    private final HiveSession parentSession;
    private final String statement;
    private final boolean runInBackground;

    public DirectStatementOperation(SparkSession session, HiveSession parentSession, String statement,
                                    Map<String, String> confOverlay, boolean runInBackground, long queryTimeout) {
        super(session, parentSession, statement, confOverlay, runInBackground, queryTimeout);
        this.parentSession = parentSession;
        this.statement = statement;
        this.runInBackground = runInBackground;
    }

    /** Spark's execute (called by run, in the background or not), with DirectRows for the rows. */
    @Override
    public void org$apache$spark$sql$hive$thriftserver$SparkExecuteStatementOperation$$execute() {
        withClassLoader(loader -> {
            execute(loader);
            return BoxedUnit.UNIT;
        });
    }

    private void execute(ClassLoader loader) {
        SparkContext context = sparkContext();
        try {
            synchronized (this) {
                if (getStatus().getState().isTerminal()) {
                    log().info("Query with {} in terminal state before it started running", statementId());
                    return;
                }
                log().info("Running query with {}", statementId());
                setState(OperationState.RUNNING);
            }
            if (!runInBackground) {
                parentSession.getSessionState().getConf().setClassLoader(loader);
            }
            context.setJobGroup(statementId(), (String) REDACTED_STATEMENT.invoke(this),
                                (Boolean) FORCE_CANCEL.invoke(this));
            @SuppressWarnings("unchecked")
            Dataset<Row> result = (Dataset<Row>) session().sql(statement);
            RESULT.set(this, result);
            HiveThriftServer2$.MODULE$.eventManager().onStatementParsed(statementId(), result.queryExecution().toString());
            // Built now, as Spark's incremental collect does (planning errors surface here); rows are
            // read as the client fetches, from the start again on a FETCH_FIRST.
            java.lang.Iterable<Row> rows = () -> CollectionConverters.asJava(DirectRows.of(result));
            ITER.set(this, new IterableFetchIterator<Row>(CollectionConverters.asScala(rows)));
            DATA_TYPES.set(this, Arrays.stream(result.schema().fields()).map(StructField::dataType).toArray(DataType[]::new));
        } catch (Throwable thrown) {
            Throwable e = thrown instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null
                ? ite.getCause() : thrown;
            if (statementId() != null && !context.isStopped()) {
                context.cancelJobGroup(statementId(), "the statement failed");
            }
            OperationState state = getStatus().getState();
            if (state.isTerminal()) {
                log().warn("Ignore exception in terminal state with " + statementId(), e);
            } else {
                log().error("Error executing query with " + statementId() + ", currentState " + state, e);
                moveTo(OperationState.ERROR);
                HiveThriftServer2$.MODULE$.eventManager().onStatementError(
                    statementId(), e.getMessage(), Utils$.MODULE$.exceptionString(e));
                throw sneaky(e instanceof HiveSQLException
                    ? e : HiveThriftServerErrors$.MODULE$.runningQueryError(e, conf().errorMessageFormat()));
            }
        } finally {
            synchronized (this) {
                if (!getStatus().getState().isTerminal()) {
                    moveTo(OperationState.FINISHED);
                    HiveThriftServer2$.MODULE$.eventManager().onStatementFinish(statementId());
                }
            }
            context.clearJobGroup();
        }
    }

    /** setState, whose HiveSQLException (an illegal transition) propagates as in Spark's Scala code. */
    private void moveTo(OperationState state) {
        try {
            setState(state);
        } catch (HiveSQLException e) {
            throw sneaky(e);
        }
    }

    private static Field accessible(Field field) {
        field.setAccessible(true);
        return field;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }
}
