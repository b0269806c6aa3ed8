package io.taglake.serving;

import java.lang.reflect.Field;
import java.util.Map;

import org.apache.hive.service.Service;
import org.apache.hive.service.cli.CLIService;
import org.apache.hive.service.cli.OperationHandle;
import org.apache.hive.service.cli.operation.ExecuteStatementOperation;
import org.apache.hive.service.cli.operation.Operation;
import org.apache.hive.service.cli.operation.OperationManager;
import org.apache.hive.service.cli.session.HiveSession;
import org.apache.hive.service.cli.session.SessionManager;
import org.apache.hive.service.server.HiveServer2;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.HiveUtils$;
import org.apache.spark.sql.hive.thriftserver.SparkExecuteStatementOperation;
import org.apache.spark.sql.hive.thriftserver.SparkSQLSessionManager;
import org.apache.spark.sql.hive.thriftserver.server.SparkSQLOperationManager;

/**
 * Spark's operation manager, creating {@link DirectStatementOperation}s for statements. The
 * server's session manager holds its operation manager in two private fields (Hive's and Spark's),
 * so {@link #install} swaps both, right after the server starts and before it is announced.
 */
public class DirectOperationManager extends SparkSQLOperationManager {
    /** {@code SET taglake.serve.direct_rows=false} in a JDBC session: Spark's own statements (to compare). */
    public static final String SESSION_SWITCH = "taglake.serve.direct_rows";

    /** Hive's map of open operations; Spark's class finds it through getClass().getSuperclass(),
     *  which for a subclass is the wrong class, so it is taken here from Hive's class directly. */
    private final Map<OperationHandle, Operation> operations;

    @SuppressWarnings("unchecked")
    public DirectOperationManager() throws ReflectiveOperationException {
        operations = (Map<OperationHandle, Operation>) field(OperationManager.class, "handleToOperation").get(this);
    }

    @Override
    public Map<OperationHandle, Operation> handleToOperation() {
        return operations;
    }

    @Override
    public synchronized ExecuteStatementOperation newExecuteStatementOperation(
            HiveSession parentSession, String statement, Map<String, String> confOverlay, boolean async,
            long queryTimeout) {
        SparkSession session = sessionToContexts().get(parentSession.getSessionHandle());
        if (session == null) {
            throw new IllegalArgumentException("Session handle: " + parentSession.getSessionHandle()
                + " has not been initialized or had already closed.");
        }
        boolean runInBackground = async
            && (Boolean) session.sessionState().conf().getConf(HiveUtils$.MODULE$.HIVE_THRIFT_SERVER_ASYNC());
        ExecuteStatementOperation operation = "false".equalsIgnoreCase(session.conf().get(SESSION_SWITCH, "true"))
            ? new SparkExecuteStatementOperation(session, parentSession, statement, confOverlay, runInBackground, queryTimeout)
            : new DirectStatementOperation(session, parentSession, statement, confOverlay, runInBackground, queryTimeout);
        handleToOperation().put(operation.getHandle(), operation);
        return operation;
    }

    /**
     * Put a DirectOperationManager in the running server's session manager. Returns why not, or
     * null when done. Sessions opened before (none when called before the server is announced)
     * are carried over.
     */
    public static String install(HiveServer2 server) {
        if (!DirectStatementOperation.SUPPORTED) {
            return "this Spark's HiveServer2 statement has not the private members taglake expects";
        }
        try {
            for (Service service : server.getServices()) {
                if (service instanceof CLIService cli
                        && cli.getSessionManager() instanceof SparkSQLSessionManager sessions) {
                    SparkSQLOperationManager previous = (SparkSQLOperationManager) sessions.getOperationManager();
                    DirectOperationManager direct = new DirectOperationManager();
                    direct.sessionToContexts().putAll(previous.sessionToContexts());
                    field(SparkSQLSessionManager.class, "sparkSqlOperationManager").set(sessions, direct);
                    field(SessionManager.class, "operationManager").set(sessions, direct);
                    return null;
                }
            }
            return "the server has no Spark SQL session manager";
        } catch (ReflectiveOperationException | RuntimeException e) {
            return e.toString();
        }
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        Field field = owner.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }
}
