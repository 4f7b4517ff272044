package io.cachepipe.servers;

import io.cachepipe.core.concurrent.DaemonThreads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;

/**
 * Where a child process's standard output and error go (both to the same place), and a way to read
 * its last lines back for error messages.
 */
public abstract class ChildOutput {

  private static final int TAIL_BYTES = 64 * 1024;
  private static final int REMEMBERED_LINES = 200;

  private ChildOutput() {}

  /** Appends the child's output to {@code file}, which need not exist yet. */
  public static ChildOutput toFile(Path file) {
    return new ToFile(file);
  }

  /** Logs each line of the child's output at INFO on {@code logger}. */
  public static ChildOutput toLogger(Logger logger) {
    return new ToLogger(logger);
  }

  /** The last {@code maxLines} lines the child wrote, oldest first, joined by newlines. */
  public abstract String tail(int maxLines);

  abstract void redirect(ProcessBuilder builder);

  abstract void started(Process process, String name);

  private static String lastLines(List<String> lines, int maxLines) {
    int from = Math.max(0, lines.size() - maxLines);
    return String.join("\n", lines.subList(from, lines.size()));
  }

  private static final class ToFile extends ChildOutput {
    private final Path file;

    ToFile(Path file) {
      this.file = file;
    }

    @Override
    void redirect(ProcessBuilder builder) {
      builder
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(file.toFile()));
    }

    @Override
    void started(Process process, String name) {}

    @Override
    public String tail(int maxLines) {
      if (!Files.isRegularFile(file)) {
        return "(no output: " + file + " does not exist)";
      }
      // Only the end of the file: a broker's log can be large and we want its last words.
      try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
        long start = Math.max(0, in.length() - TAIL_BYTES);
        byte[] bytes = new byte[(int) (in.length() - start)];
        in.seek(start);
        in.readFully(bytes);
        List<String> lines = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n"));
        return lastLines(lines, maxLines);
      } catch (IOException e) {
        return "(cannot read " + file + ": " + e + ")";
      }
    }

    @Override
    public String toString() {
      return file.toString();
    }
  }

  private static final class ToLogger extends ChildOutput {
    private final Logger logger;
    private final Deque<String> recent = new ArrayDeque<>();

    ToLogger(Logger logger) {
      this.logger = logger;
    }

    @Override
    void redirect(ProcessBuilder builder) {
      builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.PIPE);
    }

    @Override
    void started(Process process, String name) {
      DaemonThreads.start(name + "-output", () -> pump(process));
    }

    private void pump(Process process) {
      try (BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          logger.info(line);
          remember(line);
        }
      } catch (IOException e) {
        // The stream closes when the child dies; nothing more to read.
        logger.debug("output of pid {} closed: {}", process.pid(), e.toString());
      }
    }

    private synchronized void remember(String line) {
      recent.addLast(line);
      if (recent.size() > REMEMBERED_LINES) {
        recent.removeFirst();
      }
    }

    @Override
    public synchronized String tail(int maxLines) {
      return lastLines(List.copyOf(recent), maxLines);
    }

    @Override
    public String toString() {
      return "logger " + logger.getName();
    }
  }
}
