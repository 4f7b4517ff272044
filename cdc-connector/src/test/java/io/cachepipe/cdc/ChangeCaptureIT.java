package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChangeCaptureIT {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

  private static PostgresFixture.Database db;
  private static String topicPrefix;
  private static Map<String, String> postsCapture;
  private static KafkaConsumer<String, byte[]> consumer;
  private static final List<ConsumerRecord<String, byte[]>> received = new ArrayList<>();

  /** Failures the engines reported through their callback; none is expected. */
  private final List<Throwable> engineFailures = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void createDatabaseAndTopics() {
    db = TestServers.postgres().createDatabase("change_capture_it");
    String bootstrap = TestServers.kafka().bootstrapServers();
    topicPrefix = TestServers.kafka().uniqueTopicPrefix("change-capture-it");
    postsCapture = settingsFor("public.posts", db.name(), "posts_pub", "posts");
    Topics topics = Topics.from(Settings.of(postsCapture));
    TopicCreator.ensure(bootstrap, topics);
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                topicPrefix + "-test-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    consumer.subscribe(List.of(topics.changes()));
  }

  @AfterAll
  static void closeConsumerAndDropSlots() throws SQLException {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
    if (db != null) {
      execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE database = current_database() AND NOT active");
    }
  }

  @AfterEach
  void noEngineFailedOnItsOwn() {
    assertThat(engineFailures).isEmpty();
  }

  @Test
  void insertUpdateAndDeleteOfAPostArriveAsChangeEventsWithFullImages() throws Exception {
    long alice;
    long bob;
    long post;
    Instant begin = Instant.now();
    try (ChangeCapture capture = startCapture(postsCapture)) {
      alice = insertUser("alice");
      bob = insertUser("bob");
      post = insertPost(alice, "hello");
      execute("UPDATE posts SET author_id = " + bob + ", title = 'moved' WHERE id = " + post);
      execute("DELETE FROM posts WHERE id = " + post);

      awaitChanges(() -> changesOf(post).size() >= 3);
    }

    List<ChangeEvent> changes = changesOf(post);
    assertThat(changes)
        .extracting(ChangeEvent::op)
        .containsExactly(Op.INSERT, Op.UPDATE, Op.DELETE);
    ChangeEvent insert = changes.get(0);
    ChangeEvent update = changes.get(1);
    ChangeEvent delete = changes.get(2);

    assertThat(insert.before()).isNull();
    assertThat(number(insert.after(), "author_id")).isEqualTo(alice);
    assertThat(insert.after()).containsEntry("title", "hello").containsKeys("view_count", "tags");

    // REPLICA IDENTITY FULL: the update's before-image is complete, with the old author.
    assertThat(number(update.before(), "author_id")).isEqualTo(alice);
    assertThat(update.before()).containsEntry("title", "hello").containsKey("created_at");
    assertThat(number(update.after(), "author_id")).isEqualTo(bob);
    assertThat(update.after()).containsEntry("title", "moved");

    // ... and the delete's before-image has the real author, not a zero-filled column.
    assertThat(number(delete.before(), "author_id")).isEqualTo(bob);
    assertThat(delete.before()).containsEntry("title", "moved");
    assertThat(delete.after()).isNull();

    long nowMicros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    long beginMicros = ChronoUnit.MICROS.between(Instant.EPOCH, begin);
    for (ChangeEvent change : changes) {
      assertThat(change.version()).isEqualTo(ChangeEvent.SCHEMA_VERSION);
      assertThat(change.table()).isEqualTo("public.posts");
      assertThat(change.key()).containsOnlyKeys("id");
      assertThat(number(change.key(), "id")).isEqualTo(post);
      assertThat(change.lsn()).isPositive();
      assertThat(change.txId()).isPositive();
      assertThat(change.commitMicros()).isBetween(beginMicros - 60_000_000, nowMicros + 60_000_000);
    }
    assertThat(update.lsn()).isGreaterThan(insert.lsn());
    assertThat(delete.lsn()).isGreaterThan(update.lsn());
    assertThat(recordKeysOf(post)).containsOnly("public.posts:{\"id\":" + post + "}");
  }

  @Test
  void aWatermarkPastAWritersTokenFollowsItsChangeIntoEveryPartition() throws Exception {
    int partitions = Topics.from(Settings.of(postsCapture)).partitions();
    try (ChangeCapture capture = startCapture(postsCapture)) {
      long post = insertPost(insertUser("watermark"), "before the token");
      // What a read-your-writes token does after its commit: read the WAL insert position, then
      // put a logical decoding message behind it so that the stream reaches it even when idle.
      long token = walInsertPosition();
      execute("SELECT pg_logical_emit_message(false, 'cachepipe', '')");

      awaitChanges(
          () ->
              newestWatermarks().size() == partitions
                  && newestWatermarks().values().stream()
                      .allMatch(r -> Watermark.CONTRACT.decode(r.value()).lsn() >= token));

      ConsumerRecord<String, byte[]> insert =
          changeRecords().stream()
              .filter(r -> ChangeEvent.CONTRACT.decode(r.value()).op() == Op.INSERT)
              .filter(r -> recordKeysOf(post).contains(r.key()))
              .findFirst()
              .orElseThrow();
      // The first watermark past the token in the insert's partition lies behind the insert.
      ConsumerRecord<String, byte[]> firstPast =
          received.stream()
              .filter(r -> Watermark.isWatermark(r.headers()))
              .filter(r -> r.partition() == insert.partition())
              .filter(r -> Watermark.CONTRACT.decode(r.value()).lsn() >= token)
              .findFirst()
              .orElseThrow();
      assertThat(firstPast.offset()).isGreaterThan(insert.offset());
      for (var entry : newestWatermarks().entrySet()) {
        Watermark w = Watermark.CONTRACT.decode(entry.getValue().value());
        assertThat(w.source()).isEqualTo(entry.getKey());
        assertThat(w.sources()).isEqualTo(partitions);
        assertThat(entry.getValue().key()).isEqualTo(Watermark.KEY);
      }
      // The message itself is not a change: nothing but watermarks and the two inserts arrived.
      assertThat(changeRecords())
          .allSatisfy(r -> assertThat(ChangeEvent.CONTRACT.decode(r.value()).op()).isNotNull());
    }
  }

  private static long walInsertPosition() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Issue 16: a long transaction begun first has the lowest LSN of all (its early change), yet
   * commits after two short ones. Its changes must be ordered by its commit: both after the short
   * ones, and with one position for the transaction.
   */
  @Test
  void aLongTransactionIsOrderedByItsCommitNotByTheLsnOfItsEarlyChange() throws Exception {
    long author = insertUser("long");
    long early;
    long firstShort;
    long secondShort;
    long late;
    long afterwards;
    try (ChangeCapture capture = startCapture(postsCapture)) {
      try (Connection longTransaction = connect()) {
        longTransaction.setAutoCommit(false);
        early = insertPost(longTransaction, author, "long: early");
        firstShort = insertPost(author, "short 1");
        secondShort = insertPost(author, "short 2");
        late = insertPost(longTransaction, author, "long: late");
        longTransaction.commit();
      }
      afterwards = insertPost(author, "after the long one");
      awaitChanges(
          () ->
              List.of(early, firstShort, secondShort, late, afterwards).stream()
                  .allMatch(ChangeCaptureIT::hasInsertOf));
    }

    ChangeEvent earlyChange = changesOf(early).get(0);
    ChangeEvent lateChange = changesOf(late).get(0);
    ChangeEvent short1 = changesOf(firstShort).get(0);
    ChangeEvent short2 = changesOf(secondShort).get(0);
    ChangeEvent after = changesOf(afterwards).get(0);
    assertThat(earlyChange.lsn())
        .as("the long transaction's early change has the lowest LSN of all")
        .isLessThan(short1.lsn())
        .isLessThan(short2.lsn());
    assertThat(earlyChange.txId()).isEqualTo(lateChange.txId());
    assertThat(earlyChange.commitLsn())
        .as("one commit position for every change of one transaction")
        .isEqualTo(lateChange.commitLsn());
    assertThat(short1.commitLsn()).isLessThan(short2.commitLsn());
    assertThat(short2.commitLsn())
        .as("the short transactions committed first")
        .isLessThan(earlyChange.commitLsn());
    assertThat(earlyChange.commitLsn()).isLessThan(after.commitLsn());
    assertThat(earlyChange.commitLsn())
        .as("a commit position is never below the change's own position")
        .isGreaterThanOrEqualTo(earlyChange.lsn());
  }

  @Test
  void aChangeCommittedWhileStoppedIsDeliveredAfterRestartAndNothingEarlierIsLost()
      throws Exception {
    long author = insertUser("carol");
    long beforeStop;
    long atStop;
    try (ChangeCapture first = startCapture(postsCapture)) {
      beforeStop = insertPost(author, "before the stop");
      awaitChanges(() -> hasInsertOf(beforeStop));
      // Committed just as the connector stops: captured now or after the restart, never lost.
      atStop = insertPost(author, "at the stop");
    }
    long whileStopped = insertPost(author, "while stopped");

    try (ChangeCapture second = startCapture(postsCapture)) {
      awaitChanges(() -> hasInsertOf(atStop) && hasInsertOf(whileStopped));
    }

    // A restart may deliver the change before the stop again (offsets are committed every
    // flush interval): any copy must be that change, with its row as it was committed.
    assertThat(changesOf(beforeStop))
        .isNotEmpty()
        .allSatisfy(
            c -> {
              assertThat(c.op()).isEqualTo(Op.INSERT);
              assertThat(c.after()).containsEntry("title", "before the stop");
            });
    assertThat(changesOf(whileStopped))
        .first()
        .satisfies(c -> assertThat(c.after()).containsEntry("title", "while stopped"));
  }

  @Test
  void aWatchedTableWithoutReplicaIdentityFullIsRefusedUnlessTheCheckIsOff() throws Exception {
    execute("CREATE TABLE comments (id bigserial PRIMARY KEY, body text NOT NULL)");
    Map<String, String> comments =
        settingsFor("public.comments", db.name() + "_c", "comments_pub", "comments");

    assertThatThrownBy(() -> ChangeCapture.start(Settings.of(comments), engineFailures::add))
        .isInstanceOf(CdcException.class)
        .hasMessageContaining("public.comments")
        .hasMessageContaining("REPLICA IDENTITY FULL");

    Map<String, String> unchecked = new HashMap<>(comments);
    unchecked.put("cachepipe.cdc.require.replica.identity.full", "false");
    try (ChangeCapture capture = startCapture(unchecked)) {
      assertThat(capture.isStreaming()).isTrue();
      long comment =
          insertReturningId("INSERT INTO comments (body) VALUES (?) RETURNING id", "first!");
      awaitChanges(() -> !changesOf("public.comments", comment).isEmpty());
    }
  }

  @Test
  void aMissingPublicationIsCreatedForTheWatchedTablesAndAPartialOneIsExtended() throws Exception {
    Map<String, String> fresh =
        settingsFor("public.posts,public.users", db.name() + "_p", "fresh_pub", "fresh");
    assertThat(publishedTables("fresh_pub")).isEmpty();

    try (ChangeCapture capture = startCapture(fresh)) {
      assertThat(publishedTables("fresh_pub"))
          .containsExactlyInAnyOrder("public.posts", "public.users");
      long user = insertUser("dave");
      awaitChanges(() -> !changesOf("public.users", user).isEmpty());
    }

    execute("CREATE PUBLICATION partial_pub FOR TABLE users");
    Map<String, String> partial =
        settingsFor("public.posts,public.users", db.name() + "_q", "partial_pub", "partial");
    try (ChangeCapture capture = startCapture(partial)) {
      assertThat(publishedTables("partial_pub"))
          .containsExactlyInAnyOrder("public.posts", "public.users");
      long post = insertPost(insertUser("erin"), "published at last");
      awaitChanges(() -> !changesOf(post).isEmpty());
    }
  }

  @Test
  void aCaptureClosedAsSoonAsItHasStartedStopsAndReleasesItsSlot() throws Exception {
    String slot = db.name() + "_s";
    Map<String, String> settings = settingsFor("public.posts", slot, "close_pub", "close");
    ChangeCapture capture = ChangeCapture.start(Settings.of(settings), engineFailures::add);
    capture.awaitStarted(START_TIMEOUT);

    assertThatCode(capture::close).doesNotThrowAnyException();

    assertThat(capture.isStreaming()).isFalse();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(slotIsActive(slot)).isFalse());
    await("the offset store's admin client closes with the engine")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(offsetStoreAdminThreads()).isEmpty());
  }

  /**
   * Threads of offset store admin clients: the one Debezium builds for Kafka Connect's store was
   * never closed ({@code debezium-servershared-admin}); cachepipe's own closes on stop.
   */
  private static List<String> offsetStoreAdminThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.contains("servershared-admin") || n.contains("cdc-offsets-admin"))
        .toList();
  }

  // --- the connector ---

  private static Map<String, String> settingsFor(
      String tables, String slot, String publication, String name) {
    Map<String, String> s = new HashMap<>();
    s.put("cachepipe.postgres.url", db.jdbcUrl());
    s.put("cachepipe.postgres.user", db.user());
    s.put("cachepipe.postgres.password", db.password());
    s.put("kafka.bootstrap.servers", TestServers.kafka().bootstrapServers());
    // A missing slot is created and the cache flushed before the engine streams.
    s.put("cachepipe.redis.uri", TestServers.redis().uri());
    s.put("cachepipe.topic.changes", topicPrefix + ".changes");
    s.put("cachepipe.topic.invalidations", topicPrefix + ".invalidations");
    s.put("cachepipe.topic.evictions", topicPrefix + ".evictions");
    s.put("cachepipe.topic.dead.letter", topicPrefix + ".dead-letter");
    s.put("cachepipe.topic.partitions", "1");
    s.put("cachepipe.cdc.tables", tables);
    s.put("cachepipe.cdc.slot.name", slot);
    s.put("cachepipe.cdc.publication.name", publication);
    s.put("cachepipe.cdc.offsets.topic", topicPrefix + "." + name + ".offsets");
    s.put("cachepipe.cdc.name", topicPrefix + "-" + name);
    return s;
  }

  private ChangeCapture startCapture(Map<String, String> settings) throws Exception {
    ChangeCapture capture = ChangeCapture.start(Settings.of(settings), engineFailures::add);
    try {
      capture.awaitStarted(START_TIMEOUT);
    } catch (Exception | Error e) {
      capture.close();
      throw e;
    }
    return capture;
  }

  // --- the changes topic ---

  private void awaitChanges(Callable<Boolean> condition) {
    await()
        .atMost(DELIVERY_TIMEOUT)
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              assertThat(engineFailures).isEmpty();
              consumer.poll(Duration.ofMillis(100)).forEach(received::add);
              return condition.call();
            });
  }

  private static List<ChangeEvent> changesOf(long postId) {
    return changesOf("public.posts", postId);
  }

  private static List<ChangeEvent> changesOf(String table, long id) {
    List<ChangeEvent> changes = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : changeRecords()) {
      ChangeEvent change = ChangeEvent.CONTRACT.decode(record.value());
      if (change.table().equals(table) && number(change.key(), "id") == id) {
        changes.add(change);
      }
    }
    return changes;
  }

  private static Set<String> recordKeysOf(long postId) {
    Set<String> keys = new HashSet<>();
    for (ConsumerRecord<String, byte[]> record : changeRecords()) {
      ChangeEvent change = ChangeEvent.CONTRACT.decode(record.value());
      if (change.table().equals("public.posts") && number(change.key(), "id") == postId) {
        keys.add(record.key());
      }
    }
    return keys;
  }

  private static List<ConsumerRecord<String, byte[]>> changeRecords() {
    return received.stream().filter(r -> !Watermark.isWatermark(r.headers())).toList();
  }

  /** Per partition, the highest watermark received in it. */
  private static Map<Integer, ConsumerRecord<String, byte[]>> newestWatermarks() {
    Map<Integer, ConsumerRecord<String, byte[]>> newest = new HashMap<>();
    for (ConsumerRecord<String, byte[]> record : received) {
      if (Watermark.isWatermark(record.headers())) {
        newest.merge(
            record.partition(),
            record,
            (a, b) ->
                Watermark.CONTRACT.decode(a.value()).lsn()
                        >= Watermark.CONTRACT.decode(b.value()).lsn()
                    ? a
                    : b);
      }
    }
    return newest;
  }

  private static boolean hasInsertOf(long postId) {
    return changesOf(postId).stream().anyMatch(c -> c.op() == Op.INSERT);
  }

  private static long number(Map<String, Object> image, String column) {
    assertThat(image).containsKey(column);
    return ((Number) image.get(column)).longValue();
  }

  // --- the database ---

  private static long insertUser(String name) throws SQLException {
    return insertReturningId(
        "INSERT INTO users (name, email) VALUES (?, ?) RETURNING id", name, name + "@example.com");
  }

  private static long insertPost(long authorId, String title) throws SQLException {
    try (Connection c = connect()) {
      return insertPost(c, authorId, title);
    }
  }

  private static long insertPost(Connection c, long authorId, String title) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement("INSERT INTO posts (author_id, title) VALUES (?, ?) RETURNING id")) {
      st.setLong(1, authorId);
      st.setString(2, title);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static long insertReturningId(String sql, String... params) throws SQLException {
    try (Connection c = connect();
        PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setString(i + 1, params[i]);
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static Set<String> publishedTables(String publication) throws SQLException {
    Set<String> tables = new HashSet<>();
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
      st.setString(1, publication);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          tables.add(rs.getString(1) + "." + rs.getString(2));
        }
      }
    }
    return tables;
  }

  private static boolean slotIsActive(String slot) throws SQLException {
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }
}
