package io.cachepipe.pgtools;

import java.util.List;

/**
 * What EXPLAIN ANALYZE found.
 *
 * @param planningMs planning time
 * @param executionMs execution time
 * @param totalCost the planner's estimated total cost
 * @param rows rows the statement returned
 * @param nodes the plan's nodes, depth first
 * @param json PostgreSQL's plan as it gave it
 */
public record QueryPlan(
    double planningMs,
    double executionMs,
    double totalCost,
    long rows,
    List<Node> nodes,
    String json) {

  /**
   * One plan node.
   *
   * @param depth 0 for the top node
   * @param type node type ("Index Only Scan", "Hash Join", ...)
   * @param relation the table it reads, or null
   * @param index the index it uses, or null
   * @param rows rows it produced per loop
   * @param loops how many times it ran
   * @param totalMs its actual total time per loop
   * @param sharedHitBlocks buffer cache hits
   * @param sharedReadBlocks blocks read from outside the buffer cache
   */
  public record Node(
      int depth,
      String type,
      String relation,
      String index,
      long rows,
      long loops,
      double totalMs,
      long sharedHitBlocks,
      long sharedReadBlocks) {}

  /** The indexes the plan uses, in plan order. */
  public List<String> indexes() {
    return nodes.stream().map(Node::index).filter(i -> i != null).distinct().toList();
  }
}
