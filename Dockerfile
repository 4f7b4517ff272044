# cachepipe sidecar image: builds the sidecar with Maven, runs it on a JRE.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -pl sidecar -am -Dmaven.test.skip=true package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/sidecar/target/cachepipe-sidecar-*.jar /app/
COPY --from=build /src/sidecar/target/lib /app/lib
ENTRYPOINT ["java", "-Xmx512m", "-cp", "/app/*:/app/lib/*", "io.cachepipe.sidecar.Main"]
CMD ["run", "--config", "/config/cachepipe.properties"]
