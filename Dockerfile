# cachepipe sidecar image: the distribution archive Maven builds (bin/, config/, lib/) on a JRE.
# Its entry point is the archive's own bin/cachepipe, which DistributionIT runs in CI.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -pl sidecar -am -Dmaven.test.skip=true package \
 && mkdir /dist && tar xzf sidecar/target/cachepipe-*.tar.gz -C /dist --strip-components=1

FROM eclipse-temurin:17-jre
COPY --from=build /dist /opt/cachepipe
ENTRYPOINT ["/opt/cachepipe/bin/cachepipe"]
CMD ["run", "--config", "/opt/cachepipe/config/cachepipe.properties"]
