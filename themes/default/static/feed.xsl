<?xml version="1.0" encoding="utf-8"?>
<!-- papershelf default theme: an Atom feed opened in a browser, shown as a page (feed readers ignore this). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:atom="http://www.w3.org/2005/Atom"
                exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <xsl:template match="/atom:feed">
    <html>
      <xsl:if test="@xml:lang != ''"><xsl:attribute name="lang"><xsl:value-of select="@xml:lang"/></xsl:attribute></xsl:if>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="atom:title"/> (Atom feed)</title>
        <style>
          :root { --bg: #fbfaf7; --surface: #ffffff; --text: #1f2328; --muted: #59636e; --border: #e1ddd3;
                  --accent: #1f5fbf; --tag-bg: #eef3fb; --tag-text: #1d4f9a; --focus: #b35c00; color-scheme: light dark; }
          @media (prefers-color-scheme: dark) {
            :root { --bg: #14161a; --surface: #1c1f25; --text: #e6e6e3; --muted: #a3a9b3; --border: #30353d;
                    --accent: #8ab4f8; --tag-bg: #223049; --tag-text: #b9d1f7; --focus: #f5b83d; }
          }
          body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.6; font-size: 1.0625rem;
                 font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
          main { max-width: 50rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
          a { color: var(--accent); text-underline-offset: 0.15em; }
          :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
          .about { background: var(--surface); border: 1px solid var(--border); border-radius: 10px; padding: 0.8rem 1rem; }
          .about p { margin: 0.2rem 0; }
          .about code { overflow-wrap: anywhere; }
          h1 { font-size: clamp(1.6rem, 1.2rem + 1.6vw, 2.2rem); line-height: 1.25; margin: 1.5rem 0 0.3rem; }
          .lead, .meta { color: var(--muted); }
          ol { list-style: none; padding: 0; display: grid; gap: 1rem; }
          li.entry { background: var(--surface); border: 1px solid var(--border); border-radius: 10px; padding: 1rem 1.25rem; }
          h2 { font-size: 1.15rem; line-height: 1.3; margin: 0 0 0.3rem; }
          h2 a { color: var(--text); text-decoration: none; }
          h2 a:hover { color: var(--accent); text-decoration: underline; }
          .meta { font-size: 0.9rem; margin: 0 0 0.4rem; }
          .links a { margin-right: 0.75rem; font-size: 0.9rem; font-weight: 600; }
          .tag { display: inline-block; background: var(--tag-bg); color: var(--tag-text); text-decoration: none;
                 font-size: 0.8rem; padding: 0.1rem 0.6rem; border-radius: 999px; margin: 0.2rem 0.3rem 0 0; }
        </style>
      </head>
      <body>
        <main>
          <div class="about" role="note">
            <p><strong>This is a web feed.</strong> Copy its address into your feed reader to follow new papers:</p>
            <p><code><xsl:value-of select="atom:link[@rel='self']/@href"/></code></p>
          </div>
          <h1><xsl:value-of select="atom:title"/></h1>
          <xsl:if test="atom:subtitle"><p class="lead"><xsl:value-of select="atom:subtitle"/></p></xsl:if>
          <xsl:for-each select="atom:link[@rel='alternate'][starts-with(@href, 'http')]">
            <p><a href="{@href}">Open the list’s page</a></p>
          </xsl:for-each>
          <p class="count lead"><xsl:value-of select="count(atom:entry)"/> newest papers:</p>
          <ol>
            <xsl:apply-templates select="atom:entry"/>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li class="entry">
      <h2>
        <xsl:choose>
          <xsl:when test="starts-with(atom:link[@rel='alternate']/@href, 'http')">
            <a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="atom:title"/></xsl:otherwise>
        </xsl:choose>
      </h2>
      <p class="meta">
        <xsl:if test="atom:published">
          <time datetime="{substring(atom:published, 1, 10)}">
            <xsl:value-of select="number(substring(atom:published, 9, 2))"/>
            <xsl:text> </xsl:text>
            <xsl:value-of select="substring($months, (number(substring(atom:published, 6, 2)) - 1) * 3 + 1, 3)"/>
            <xsl:text> </xsl:text>
            <xsl:value-of select="substring(atom:published, 1, 4)"/>
          </time>
        </xsl:if>
        <xsl:if test="atom:published and atom:author"> · </xsl:if>
        <xsl:for-each select="atom:author[position() &lt;= 3]">
          <xsl:value-of select="atom:name"/>
          <xsl:if test="position() != last()">, </xsl:if>
        </xsl:for-each>
        <xsl:if test="count(atom:author) &gt; 3"> et al.</xsl:if>
      </p>
      <xsl:if test="atom:link[@rel='related'][starts-with(@href, 'http')]">
        <p class="links">
          <xsl:for-each select="atom:link[@rel='related'][starts-with(@href, 'http')]">
            <a href="{@href}"><xsl:value-of select="@title"/></a>
          </xsl:for-each>
        </p>
      </xsl:if>
      <xsl:if test="atom:category">
        <div>
          <xsl:for-each select="atom:category">
            <xsl:choose>
              <xsl:when test="starts-with(@scheme, 'http')">
                <a class="tag" href="{@scheme}{@term}/"><xsl:value-of select="@label"/></a>
              </xsl:when>
              <xsl:otherwise><span class="tag"><xsl:value-of select="@label"/></span></xsl:otherwise>
            </xsl:choose>
          </xsl:for-each>
        </div>
      </xsl:if>
    </li>
  </xsl:template>
</xsl:stylesheet>
